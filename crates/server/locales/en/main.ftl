# Page frame, navigation, sign-in pages and errors (English).
skip-to-content = Skip to content
nav-label = Main
nav-home = Home
nav-contacts = Contacts
nav-settings = Settings
nav-logout = Log out
nav-login = Log in
nav-signup = Sign up
lang-label = Language
lang-en = English
lang-ko = 한국어
list-next = Next page

field-email = E-mail address
field-password = Password
field-password-hint = At least 8 characters.
field-password-optional = Password (optional)
field-new-password = New password
field-confirm-password = Repeat the new password
field-account-name = Organization (account) name
field-name = Name
field-language = Language
field-profile = Profile

login-title = Log in
login-submit = Log in
login-no-account = No account yet?
signup-title = Create an account
signup-submit = Create account
signup-have-account = Already have an account?
set-password-title = Set your password
set-password-submit = Set password

home-title = Home
home-signed-in-as = Signed in as { $name }

profile-billing_admin = Billing Administrator
profile-admin = Administrator
profile-supervisor = Supervisor
profile-manager = Manager
profile-observer = Observer
profile-visitor = Visitor

ok-signed_up = Your account is ready.
ok-signed_out = You are logged out.
ok-password_set = Your password is set. Log in with it now.

error-title = Something went wrong
error-back-home = Back to the home page
error-generic = Something went wrong. Try again.
error-internal = Something went wrong on the server. Try again in a moment.
error-unavailable = The server is busy. Try again in a moment.
error-csrf = This form has expired. Go back, reload the page and try again.
error-payload_too_large = What you sent is too large.
error-invalid_input = Check the fields: something is missing, too long or not allowed.
error-invalid_email = That is not a valid e-mail address.
error-invalid_password = The password must be between 8 and 1024 characters long.
error-password_mismatch = The two passwords are not the same.
error-email_taken = A user with this e-mail address already exists.
error-signup_disabled = Sign-up is turned off on this server. Ask an administrator for an account.
error-invalid_credentials = The e-mail address or the password is wrong.
error-unauthenticated = Log in first.
error-forbidden = Your profile does not allow this.
error-forbidden_admin = Your profile does not allow this. Only an Administrator or a Billing Administrator can do it.
error-forbidden_contacts = Your profile does not allow this. The Contacts page is for every profile but Visitor.
error-not_found = Not found: it does not exist, or it is no longer visible to your account.
error-link_expired = This link has expired or was already used. Ask your administrator for a new one.
error-last_admin = The account must keep at least one active administrator.
