# language: es
# El artículo «¿Cómo restablecer o cambiar la contraseña de tu cuenta desde el portal?»,
# apartado «Conozco mi contraseña y quiero cambiarla»: un paso por línea.
@journey
Característica: Conozco mi contraseña y quiero cambiarla
  Si conoces tu contraseña actual y necesitas modificarla,
  puedes seguir estos pasos.

  Antecedentes:
    Dado que tengo una cuenta en el portal

  Escenario: Cambiar desde el portal una contraseña conocida
    Dado que inicio sesión en el portal
    Cuando hago clic en el icono de Ajustes
    Y hago clic en "Seguridad"
    Y en el panel Contraseña hago clic en "Editar"
    Y introduzco mi contraseña actual, defino una nueva y hago clic en "Actualizar contraseña"
    Entonces veo "Ya puedes iniciar sesión con la nueva contraseña que has definido."
    Y puedo iniciar sesión con la nueva contraseña que he definido
    Y ya no puedo iniciar sesión con mi contraseña anterior
