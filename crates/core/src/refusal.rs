//! Refusals: every way the product says "no", each with the stable code of `spec/api.md`.
//!
//! A refusal is a value. The server maps it to an HTTP status in exactly one place.

use std::fmt;

/// Why a request was refused. The variants are the error codes of the API contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Input that is missing, malformed or out of range; the text says which field.
    InvalidInput(String),
    InvalidEmail,
    InvalidPassword,
    EmailTaken,
    SignupDisabled,
    InvalidCredentials,
    Unauthenticated,
    /// The caller can see the thing but may not do this to it.
    Forbidden,
    /// The thing does not exist, or the caller may not see it.
    NotFound,
    OwnAccount,
    AlreadyPartners,
    AlreadyInvited,
    RejectedInvitation,
    IncomingRequestPending,
    RateLimited {
        retry_after_secs: u64,
    },
    InvalidState,
    /// The change would leave the account without an active admin.
    LastAdmin,
    ContactExists,
    SyncedContact,
    NotPartner,
    InvalidRole,
    PayloadTooLarge,
    /// The user's address is not verified yet, and this needs a verified one.
    EmailUnverified,
    /// A link's secret is unknown, used or expired.
    InvalidToken,
    /// The signed-in user's current password was wrong.
    WrongPassword,
    /// Two-factor sign-in is already on.
    TwoFactorOn,
    /// A two-factor code given to confirm or turn off two-factor was wrong.
    InvalidCode,
    /// The password was right; the account needs a two-factor code as well.
    TwoFactorRequired,
    /// The password was right; the two-factor code was not.
    WrongSignInCode,
    /// The upload would take the account past its storage quota.
    QuotaExceeded,
    /// A state-changing request signed in by the session cookie came without proof that
    /// our own pages sent it (JSON content type, and our Origin or the page's CSRF token).
    Csrf,
    /// The server is at capacity for this kind of work; try again shortly.
    Busy {
        retry_after_secs: u64,
    },
}

impl Refusal {
    /// The stable error code clients rely on.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::InvalidInput(_) => "invalid_input",
            Refusal::InvalidEmail => "invalid_email",
            Refusal::InvalidPassword => "invalid_password",
            Refusal::EmailTaken => "email_taken",
            Refusal::SignupDisabled => "signup_disabled",
            Refusal::InvalidCredentials => "invalid_credentials",
            Refusal::Unauthenticated => "unauthenticated",
            Refusal::Forbidden => "forbidden",
            Refusal::NotFound => "not_found",
            Refusal::OwnAccount => "own_account",
            Refusal::AlreadyPartners => "already_partners",
            Refusal::AlreadyInvited => "already_invited",
            Refusal::RejectedInvitation => "rejected_invitation",
            Refusal::IncomingRequestPending => "incoming_request_pending",
            Refusal::RateLimited { .. } => "rate_limited",
            Refusal::InvalidState => "invalid_state",
            Refusal::LastAdmin => "last_admin",
            Refusal::ContactExists => "contact_exists",
            Refusal::SyncedContact => "synced_contact",
            Refusal::NotPartner => "not_partner",
            Refusal::InvalidRole => "invalid_role",
            Refusal::PayloadTooLarge => "payload_too_large",
            Refusal::EmailUnverified => "email_unverified",
            Refusal::InvalidToken => "invalid_token",
            Refusal::WrongPassword => "wrong_password",
            Refusal::Busy { .. } => "busy",
            Refusal::TwoFactorOn => "two_factor_on",
            Refusal::Csrf => "csrf",
            Refusal::QuotaExceeded => "quota_exceeded",
            Refusal::InvalidCode | Refusal::WrongSignInCode => "invalid_code",
            Refusal::TwoFactorRequired => "two_factor_required",
        }
    }

    /// A human sentence in English; pages translate by `code()`.
    pub fn message(&self) -> String {
        match self {
            Refusal::InvalidInput(what) => what.clone(),
            Refusal::InvalidEmail => "That is not a valid e-mail address.".into(),
            Refusal::InvalidPassword => {
                "The password must be between 8 and 1024 characters long.".into()
            }
            Refusal::EmailTaken => "A user with this e-mail address already exists.".into(),
            Refusal::SignupDisabled => "Sign-up is turned off on this server.".into(),
            Refusal::InvalidCredentials => "The e-mail address or the password is wrong.".into(),
            Refusal::Unauthenticated => "Sign in first.".into(),
            Refusal::Forbidden => "Your profile does not allow this.".into(),
            Refusal::NotFound => "Not found.".into(),
            Refusal::OwnAccount => "This address belongs to a user of your own account.".into(),
            Refusal::AlreadyPartners => "Your account is already a partner of this account.".into(),
            Refusal::AlreadyInvited => {
                "A partner request to this address is already pending.".into()
            }
            Refusal::RejectedInvitation => "A partner request to this address was rejected; \
                 both sides must delete it before you can send another."
                .into(),
            Refusal::IncomingRequestPending => "This account has already sent your account a \
                 partner request: accept that one instead."
                .into(),
            Refusal::RateLimited { retry_after_secs } => {
                format!("Too many attempts; try again in {retry_after_secs} seconds.")
            }
            Refusal::InvalidState => "The request is not in a state that allows this.".into(),
            Refusal::LastAdmin => "An account must keep at least one active administrator.".into(),
            Refusal::ContactExists => "A contact with this e-mail address already exists.".into(),
            Refusal::SyncedContact => {
                "This contact is synced from an account and cannot be deleted.".into()
            }
            Refusal::NotPartner => "That account is not an active partner of yours.".into(),
            Refusal::InvalidRole => "That role is not allowed here.".into(),
            Refusal::PayloadTooLarge => "The request body is too large.".into(),
            Refusal::EmailUnverified => {
                "Verify your e-mail address first: open the link we e-mailed you.".into()
            }
            Refusal::InvalidToken => "This link is unknown, already used or expired.".into(),
            Refusal::WrongPassword => "The current password is wrong.".into(),
            Refusal::Busy { retry_after_secs } => {
                format!("The server is busy; try again in {retry_after_secs} seconds.")
            }
            Refusal::TwoFactorOn => "Two-factor sign-in is already on.".into(),
            Refusal::QuotaExceeded => {
                "This would take the account past its storage quota; empty the trash or \
                 ask the operator for more room."
                    .into()
            }
            Refusal::Csrf => {
                "A request signed in by the session cookie must be JSON and come from \
                 this site (its Origin) or carry the page's CSRF token in X-CSRF-Token; or use \
                 a bearer token."
                    .into()
            }
            Refusal::InvalidCode | Refusal::WrongSignInCode => {
                "That code is wrong or was already used.".into()
            }
            Refusal::TwoFactorRequired => {
                "Enter the code from your authenticator app (or a recovery code).".into()
            }
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for Refusal {}
