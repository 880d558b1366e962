### El portal en español. Mismos mensajes que en inglés (locales/en/portal.ftl), que
### explica cada variable.

## El idioma

language-name = Español
language-switcher = Idioma

## Estructura de todas las páginas

nav-account = Cuenta
settings-icon = Ajustes
log-out = Cerrar sesión
footer-api = API

## Página de inicio

welcome-title = Te damos la bienvenida
welcome-heading = Te damos la bienvenida a { $product }
welcome-intro = Gestiona tu cuenta, tu contraseña y tus dispositivos.
go-to-account = Ir a tu cuenta
continue-with-email = Continuar con correo electrónico

## Inicio de sesión

login-title = Iniciar sesión
email-label = Correo electrónico
password-label = Contraseña
login-button = Iniciar sesión
forgot-password-link = ¿Has olvidado tu contraseña?
new-here = ¿Aún no tienes cuenta?
create-account-link = Crear cuenta

## Registro

signup-title = Crear cuenta
password-help = Como mínimo { $min } caracteres. Unas cuantas palabras poco habituales forman una contraseña segura; se admite cualquier carácter.
confirm-password-label = Confirmar contraseña
signup-button = Crear cuenta
have-account = ¿Ya tienes una cuenta?
login-link = Iniciar sesión
signup-sent-heading = Revisa tu correo
signup-sent = Te hemos enviado un correo electrónico a la dirección que has introducido. Abre el enlace que contiene para terminar de crear tu cuenta.

## Confirmación de la cuenta

confirm-title = Confirma tu cuenta
confirm-intro = Pulsa el botón para confirmar tu dirección de correo electrónico y activar tu cuenta.
confirm-button = Confirmar cuenta
account-confirmed-heading = Cuenta confirmada
account-confirmed = Tu cuenta está confirmada. Ya puedes iniciar sesión.

## Contraseña olvidada

forgot-title = ¿Has olvidado tu contraseña?
forgot-intro = Introduce el correo electrónico asociado a tu cuenta y te enviaremos un enlace para elegir una nueva contraseña.
restore-button = Restablecer contraseña
recovery-neutral = Si la dirección de correo electrónico que has introducido corresponde a una cuenta existente, se enviará un correo de recuperación de contraseña a esta dirección.
back-to-login = Volver al inicio de sesión

## Nueva contraseña

recover-title = Elige una nueva contraseña
new-password-label = Nueva contraseña
confirm-new-password-label = Confirmar nueva contraseña
validate-button = Validar
password-changed-heading = Contraseña cambiada
success-sentence = Ya puedes iniciar sesión con la nueva contraseña que has definido.
ask-new-link = Solicitar un nuevo enlace

## Cuenta y ajustes

account-title = Tu cuenta
account-email = Correo electrónico
member-since = Miembro desde
account-settings-hint = Para cambiar tu contraseña, usa el icono de { $link } de la parte superior.
    .link = Ajustes
settings-title = Ajustes
settings-sections = Secciones de los ajustes
security-tab = Seguridad
settings-choose = Elige una sección: en { $link } está tu contraseña.
    .link = Seguridad
settings-choose-language = En { $link } eliges el idioma de los correos que te enviamos.
    .link = Idioma
password-panel = Contraseña
password-last-changed = Último cambio: { $date }.
edit-button = Editar
password-title = Contraseña
current-password-label = Contraseña actual
update-password-button = Actualizar contraseña
cancel-link = Cancelar
back-to-account = Volver a tu cuenta

## Idioma de los correos (ajustes)

language-tab = Idioma
email-language-heading = Idioma de los correos
email-language-intro = Los correos sobre tu cuenta, como los enlaces para recuperar la contraseña, se escriben en este idioma.
email-language-label = Idioma de los correos
save-button = Guardar
email-language-saved = Guardado: a partir de ahora, los correos sobre tu cuenta se escribirán en este idioma.

## Mensajes en una página propia

go-home = Ir a la página de inicio
form-expired-heading = Formulario caducado
form-expired = Este formulario ha caducado o no procede de este sitio. Vuelve atrás, recarga la página e inténtalo de nuevo.
form-unreadable-heading = Formulario incompleto
form-unreadable = No se ha podido leer el formulario ({ $reason }). Vuelve atrás, recarga la página e inténtalo de nuevo.
unavailable-heading = No disponible temporalmente
unavailable = El servicio no está disponible en este momento. Inténtalo de nuevo dentro de un momento.
internal-heading = Algo ha salido mal
internal = Algo ha salido mal por nuestra parte. Inténtalo de nuevo dentro de un momento.
internal-short = Algo ha salido mal por nuestra parte.
not-found-heading = Página no encontrada
not-found = No hay nada en esta dirección.
too-large-heading = Demasiados datos
too-large-page = Lo que se ha enviado supera el tamaño que admite esta página.
link-invalid-heading = Enlace no válido o caducado
too-many-heading = Demasiados intentos

## Rechazos (páginas y detalles de la API)

error-invalid-credentials = El correo electrónico o la contraseña no son correctos. Si acabas de crear tu cuenta, abre primero el enlace de confirmación que te hemos enviado.
error-too-many-attempts = Demasiados intentos. Espera unos minutos y vuelve a intentarlo.
error-invalid-token = Este enlace no es válido o ha caducado. Solicita uno nuevo.
error-current-password-incorrect = Tu contraseña actual no es correcta.
error-unauthenticated = Primero inicia sesión.
error-busy = El servicio está ocupado. Inténtalo de nuevo dentro de un momento.

## Solo en la API

api-bearer-needed = Envía un token de sesión válido: Authorization: Bearer <token>.
api-too-large = El cuerpo de la solicitud supera los 64 KiB.
api-invalid-body = No se ha podido leer el cuerpo de la solicitud: { $reason }
api-database-unreachable = No se puede acceder a la base de datos.

## Direcciones de correo electrónico

email-empty = Introduce tu dirección de correo electrónico.
email-invalid = Introduce una dirección de correo electrónico válida, como nombre@ejemplo.com.
email-look-alike = Esta dirección de correo electrónico contiene caracteres que imitan a otros (como letras de ancho completo o el símbolo kelvin). Escríbela con caracteres normales.

## Contraseñas nuevas

password-too-short =
    Tu nueva contraseña es demasiado corta: usa al menos { $min } caracteres (tiene { $actual ->
        [one] { $actual } carácter
       *[other] { $actual } caracteres
    }).
password-too-long = Tu nueva contraseña es demasiado larga: usa como máximo { $max } caracteres.
password-contains-email = Tu nueva contraseña no puede contener tu dirección de correo electrónico.
password-contains-product = Tu nueva contraseña no puede contener el nombre del producto ({ $product }).
password-too-common = Tu nueva contraseña es demasiado común o fácil de adivinar. Usa una frase más larga con palabras poco habituales.
password-too-common-because = Tu nueva contraseña es demasiado común o fácil de adivinar. { $warning } Usa una frase más larga con palabras poco habituales.
password-mismatch = La nueva contraseña y su confirmación no coinciden.
password-warning-straight-rows = Las filas seguidas de teclas son fáciles de adivinar.
password-warning-keyboard-patterns = Los patrones cortos de teclado son fáciles de adivinar.
password-warning-repeats = Las repeticiones como «aaa» son fáciles de adivinar.
password-warning-repeated-groups = Las repeticiones como «abcabcabc» son apenas más difíciles de adivinar que «abc».
password-warning-top-10 = Es una de las 10 contraseñas más comunes.
password-warning-top-100 = Es una de las 100 contraseñas más comunes.
password-warning-very-common = Es una contraseña muy común.
password-warning-similar-to-common = Se parece a una contraseña muy utilizada.
password-warning-sequences = Las secuencias como abc o 6543 son fáciles de adivinar.
password-warning-recent-years = Los años recientes son fáciles de adivinar.
password-warning-single-word = Una palabra sola es fácil de adivinar.
password-warning-dates = Las fechas suelen ser fáciles de adivinar.
password-warning-names = Los nombres y apellidos por sí solos son fáciles de adivinar.
password-warning-common-names = Los nombres y apellidos comunes son fáciles de adivinar.

## Fechas y duraciones

date = { $day } de { $month-name } de { $year }
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
duration-seconds =
    { $count ->
        [one] { $count } segundo
       *[other] { $count } segundos
    }
duration-minutes =
    { $count ->
        [one] { $count } minuto
       *[other] { $count } minutos
    }
duration-hours =
    { $count ->
        [one] { $count } hora
       *[other] { $count } horas
    }
duration-days =
    { $count ->
        [one] { $count } día
       *[other] { $count } días
    }

## Correos

email-hello = Hola:
email-signature = -- { $product }
email-footer = Este correo se ha enviado a { $email } desde { $product }.
email-copy-address = O copia esta dirección en tu navegador: { $url }

recovery-subject = Recuperación de contraseña
recovery-intro = Alguien (esperamos que tú) ha pedido restablecer la contraseña de tu cuenta de { $product }.
recovery-open-link = Para elegir una nueva contraseña, abre este enlace de recuperación de contraseña:
recovery-button = Restablecer tu contraseña
recovery-expiry = El enlace solo funciona una vez y caduca en { $valid-for }.
recovery-not-you = Si no lo has pedido tú, ignora este correo: tu contraseña seguirá siendo la misma.

confirmation-subject = Confirma tu dirección de correo electrónico
confirmation-welcome = ¡Te damos la bienvenida a { $product }!
confirmation-open-link = Para terminar de crear tu cuenta, confirma tu dirección de correo electrónico abriendo este enlace:
confirmation-intro-html = ¡Te damos la bienvenida a { $product }! Para terminar de crear tu cuenta, confirma tu dirección de correo electrónico:
confirmation-button = Confirmar mi dirección de correo
confirmation-expiry = El enlace caduca en { $valid-for }. Si no has creado ninguna cuenta, ignora este correo.

password-changed-subject = Se ha cambiado tu contraseña
password-changed-body =
    Se acaba de cambiar la contraseña de tu cuenta de { $product } ({ $email }) y se ha
    cerrado la sesión en todos los dispositivos en los que estaba iniciada.
password-changed-if-you = Si has sido tú, no tienes que hacer nada más.
password-changed-not-you = Si no has sido tú, restablece tu contraseña ahora:
password-changed-not-you-html = Si no has sido tú, { $link }.
    .link = restablece tu contraseña ahora

signup-attempt-subject = Alguien ha intentado registrarse con tu dirección de correo electrónico
signup-attempt-heading = Ya tienes una cuenta
signup-attempt-body =
    Alguien ha intentado crear una cuenta de { $product } con tu dirección de correo
    electrónico ({ $email }), pero ya tienes una cuenta.
signup-attempt-body-html = Alguien ha intentado crear una cuenta de { $product } con tu dirección de correo electrónico ({ $email }), pero ya tienes una.
signup-attempt-log-in = Si has sido tú, inicia sesión: { $login-url }
signup-attempt-log-in-html = Si has sido tú, { $link }.
    .link = inicia sesión
signup-attempt-reset = ¿Has olvidado tu contraseña? Restablécela: { $reset-url }
signup-attempt-reset-html = ¿Has olvidado tu contraseña? { $link }.
    .link = Restablécela
signup-attempt-not-you = Si no has sido tú, ignora este correo: no se ha cambiado nada.
