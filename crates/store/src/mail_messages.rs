//! What each e-mail says, one type per [`MailKind`]: the store queues them (in the
//! transaction of the change that causes them), the server renders them in the recipient's
//! language (`locales/*/mail.ftl`).
//!
//! A message is kept in the outbox row's `params` column as the JSON object of its fields
//! (the kind has a column of its own). The field names are that stored shape: rows queued
//! by an older server must still read, so a field is renamed never, and a field added later
//! (or one the rendering can do without) is `#[serde(default)]`.

use crate::outbox::{Mail, MailKind};
use coproof_core::Language;
use serde::{Deserialize, Serialize};

/// An admin added the recipient as a user without a password: a set-password link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInvited {
    /// The admin who added the user.
    pub inviter_name: String,
    pub account_name: String,
    /// The new user's name.
    #[serde(default)]
    pub name: String,
    /// The set-password link's secret (wiped from the row once delivered).
    pub token: String,
}

/// A partner request was sent to the recipient's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerInvitation {
    pub inviter_name: String,
    #[serde(default)]
    pub inviter_email: String,
    /// The sending account.
    pub account_name: String,
    /// Whether the address is a user's here already: the link is then to the Partners tab,
    /// else to sign-up.
    #[serde(default)]
    pub has_account: bool,
    /// The invited address (the sign-up form's default).
    pub email: String,
}

/// The recipient's partner request was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerAccepted {
    /// The account that accepted.
    pub account_name: String,
    /// The address the request was sent to.
    #[serde(default)]
    pub email: String,
}

/// The recipient's partner request was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerRejected {
    /// The account that rejected, only when the two accounts have been partners: an
    /// address must not reveal which organization it belongs to.
    #[serde(default)]
    pub account_name: Option<String>,
    /// The address the request was sent to.
    pub email: String,
}

/// The recipient's partner request expired: nobody answered it in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerExpired {
    /// The address the request was sent to.
    pub email: String,
}

/// Something was shared with the recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemShared {
    pub sharer_name: String,
    pub item_name: String,
    /// `folder`, `file` or `proof`.
    #[serde(default)]
    pub item_type: String,
    /// The item's page, from the site's root (`/proofs/…`).
    pub path: String,
}

/// The recipient should prove that it reads this mailbox: a verification link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyEmail {
    /// The user's name.
    pub name: String,
    /// The link's secret (wiped from the row once delivered).
    pub token: String,
}

/// The recipient asked for a password-reset link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    /// The user's name.
    pub name: String,
    /// The link's secret (wiped from the row once delivered).
    pub token: String,
}

/// One e-mail's details, of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailMessage {
    UserInvited(UserInvited),
    PartnerInvitation(PartnerInvitation),
    PartnerAccepted(PartnerAccepted),
    PartnerRejected(PartnerRejected),
    PartnerExpired(PartnerExpired),
    ItemShared(ItemShared),
    VerifyEmail(VerifyEmail),
    PasswordReset(PasswordReset),
}

/// The message of a queued row could not be read (a field missing or of another type).
#[derive(Debug, thiserror::Error)]
#[error("the details of a {} mail do not read", kind.as_str())]
pub struct UnreadableMail {
    pub kind: MailKind,
    #[source]
    pub source: serde_json::Error,
}

macro_rules! kinds {
    ($($kind:ident),* $(,)?) => {
        impl MailMessage {
            /// Its kind (the outbox row's `kind` column).
            pub fn kind(&self) -> MailKind {
                match self {
                    $(MailMessage::$kind(_) => MailKind::$kind,)*
                }
            }

            /// Its fields as the JSON object kept in the outbox row's `params` column.
            pub fn to_params(&self) -> serde_json::Value {
                let value = match self {
                    $(MailMessage::$kind(m) => serde_json::to_value(m),)*
                };
                // Structs of strings, booleans and options always serialise.
                value.unwrap_or_default()
            }

            /// Reads the message of kind `kind` kept as `params`.
            pub fn from_params(
                kind: MailKind,
                params: &serde_json::Value,
            ) -> Result<MailMessage, UnreadableMail> {
                let read = match kind {
                    $(MailKind::$kind => $kind::deserialize(params).map(MailMessage::$kind),)*
                };
                read.map_err(|source| UnreadableMail { kind, source })
            }
        }

        $(impl From<$kind> for MailMessage {
            fn from(message: $kind) -> MailMessage {
                MailMessage::$kind(message)
            }
        })*
    };
}

kinds!(
    UserInvited,
    PartnerInvitation,
    PartnerAccepted,
    PartnerRejected,
    PartnerExpired,
    ItemShared,
    VerifyEmail,
    PasswordReset,
);

impl Mail {
    /// A mail of `message` to `recipient`, in `language`.
    pub fn new(
        recipient: impl Into<String>,
        language: Language,
        message: impl Into<MailMessage>,
    ) -> Mail {
        let message = message.into();
        Mail {
            kind: message.kind(),
            recipient: recipient.into(),
            language,
            params: message.to_params(),
        }
    }

    /// What the mail says, read from its row.
    pub fn message(&self) -> Result<MailMessage, UnreadableMail> {
        MailMessage::from_params(self.kind, &self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_message_keeps_the_shape_of_the_rows_queued_before_it() {
        let mail = Mail::new(
            "kim@client.example",
            Language::Ko,
            PartnerInvitation {
                inviter_name: "Ann".into(),
                inviter_email: "ann@agency.example".into(),
                account_name: "Agency".into(),
                has_account: true,
                email: "kim@client.example".into(),
            },
        );
        assert_eq!(mail.kind, MailKind::PartnerInvitation);
        assert_eq!(
            mail.params,
            json!({"inviter_name": "Ann", "inviter_email": "ann@agency.example",
                   "account_name": "Agency", "has_account": true, "email": "kim@client.example"})
        );
        let rejected = Mail::new(
            "ann@agency.example",
            Language::En,
            PartnerRejected {
                account_name: None,
                email: "kim@client.example".into(),
            },
        );
        assert_eq!(
            rejected.params,
            json!({"account_name": null, "email": "kim@client.example"})
        );
        for mail in [mail, rejected] {
            let message = mail.message().expect("reads back");
            assert_eq!(Mail::new("x", Language::En, message).params, mail.params);
        }
    }

    #[test]
    fn old_rows_read_and_broken_ones_say_why() {
        // A rejection queued without the account's name at all, an invitation without the
        // fields rendering can do without.
        let rejected = MailMessage::from_params(
            MailKind::PartnerRejected,
            &json!({"email": "kim@client.example"}),
        )
        .expect("reads");
        assert_eq!(
            rejected,
            MailMessage::PartnerRejected(PartnerRejected {
                account_name: None,
                email: "kim@client.example".into()
            })
        );
        let invitation = MailMessage::from_params(
            MailKind::PartnerInvitation,
            &json!({"inviter_name": "Ann", "account_name": "Agency", "email": "k@c.example",
                    "unknown_later_field": 1}),
        )
        .expect("reads");
        assert!(matches!(
            invitation,
            MailMessage::PartnerInvitation(PartnerInvitation {
                has_account: false,
                ..
            })
        ));
        let e = MailMessage::from_params(MailKind::VerifyEmail, &json!({"name": "Ann"}))
            .expect_err("no token");
        assert_eq!(e.kind, MailKind::VerifyEmail);
        assert!(e.to_string().contains("verify_email"), "{e}");
        assert!(e.source.to_string().contains("token"), "{}", e.source);
        assert!(MailMessage::from_params(MailKind::ItemShared, &json!([])).is_err());
    }
}
