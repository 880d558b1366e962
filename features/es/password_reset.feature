# language: es
# El artículo «¿Cómo restablecer o cambiar la contraseña de tu cuenta desde el portal?»,
# apartado «He olvidado mi contraseña y necesito restablecerla»: un paso por línea.
@journey
Característica: He olvidado mi contraseña y necesito restablecerla
  Si has olvidado tu contraseña actual y necesitas restablecerla para iniciar sesión,
  sigue estos pasos.

  Antecedentes:
    Dado que tengo una cuenta en el portal

  Escenario: Restablecer desde el portal una contraseña olvidada
    Dado que voy al portal
    Cuando hago clic en "Continuar con correo electrónico"
    Y hago clic en "¿Has olvidado tu contraseña?"
    Y introduzco el correo electrónico asociado a mi cuenta y hago clic en "Restablecer contraseña"
    Entonces veo "Si la dirección de correo electrónico que has introducido corresponde a una cuenta existente, se enviará un correo de recuperación de contraseña a esta dirección."
    Y se envía un correo de recuperación de contraseña a esta dirección
    Cuando voy a mis correos y hago clic en el enlace de recuperación
    Y introduzco una nueva contraseña y valido
    Entonces veo "Ya puedes iniciar sesión con la nueva contraseña que has definido."
    Y puedo iniciar sesión con la nueva contraseña que he definido
