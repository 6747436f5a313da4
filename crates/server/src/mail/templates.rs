//! The e-mails, in the recipient's language. Each kind of message is rendered from the
//! details queued with it.

use coproof_core::Language;
use coproof_store::outbox::{Mail, MailKind};
use serde_json::Value;

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

fn param<'a>(params: &'a Value, key: &str) -> &'a str {
    params.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Renders `mail`; `public_url` is where links point.
pub fn render(mail: &Mail, public_url: &str) -> Rendered {
    let p = &mail.params;
    let ko = mail.language == Language::Ko;
    let partners_link = format!("{public_url}/settings/account/partners");
    match mail.kind {
        MailKind::PartnerInvitation => {
            let inviter = param(p, "inviter_name");
            let account = param(p, "account_name");
            let has_account = p
                .get("has_account")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let link = if has_account {
                partners_link
            } else {
                format!(
                    "{public_url}/signup?email={}",
                    url_escape(param(p, "email"))
                )
            };
            if ko {
                Rendered {
                    subject: format!("{account}에서 파트너 초대를 보냈습니다"),
                    body: format!(
                        "안녕하세요.\n\n{account}의 {inviter}님이 Coproof에서 귀하의 조직에 파트너 초대를 보냈습니다. \
                         파트너가 되면 증명, 파일, 폴더와 연락처 세부 정보를 서로 공유할 수 있습니다.\n\n\
                         {}\n{link}\n\n관리자 또는 청구 관리자가 설정 > 계정 설정 > 파트너 탭에서 수락하거나 거부할 수 있습니다.\n",
                        if has_account { "초대를 확인하려면:" } else { "계정을 만들려면:" }
                    ),
                }
            } else {
                Rendered {
                    subject: format!("{account} invites you to be partners on Coproof"),
                    body: format!(
                        "Hello,\n\n{inviter} of {account} has sent your organization a partner \
                         invitation on Coproof. Partners share proofs, files, folders and contact \
                         details with each other.\n\n{}\n{link}\n\nAn Administrator or Billing \
                         Administrator can accept or reject it under Settings > Account Settings > \
                         Partners.\n",
                        if has_account {
                            "To see the invitation:"
                        } else {
                            "To create your account:"
                        }
                    ),
                }
            }
        }
        MailKind::PartnerAccepted => {
            let account = param(p, "account_name");
            if ko {
                Rendered {
                    subject: format!("{account}에서 파트너 요청을 수락했습니다"),
                    body: format!(
                        "안녕하세요.\n\n{account}에서 파트너 요청을 수락했습니다. 이제 서로의 사용자가 연락처 페이지에 구성원으로 표시됩니다.\n\n{partners_link}\n"
                    ),
                }
            } else {
                Rendered {
                    subject: format!("{account} accepted your partner request"),
                    body: format!(
                        "Hello,\n\n{account} accepted your partner request. Each account's users now \
                         appear as members on the other's Contacts page.\n\n{partners_link}\n"
                    ),
                }
            }
        }
        MailKind::PartnerRejected => {
            // The account is named only when the two were partners before (the store
            // leaves it out otherwise): an address must not reveal its organization.
            let account = param(p, "account_name");
            let email = param(p, "email");
            let body = match (ko, account.is_empty()) {
                (true, false) => {
                    format!("{email}에게 보낸 파트너 요청을 {account}에서 거부했습니다.")
                }
                (true, true) => format!("{email}에게 보낸 파트너 요청이 거부되었습니다."),
                (false, false) => {
                    format!("{account} rejected the partner request you sent to {email}.")
                }
                (false, true) => format!("The partner request you sent to {email} was rejected."),
            };
            let (subject, hello) = if ko {
                ("파트너 요청이 거부되었습니다", "안녕하세요.")
            } else {
                ("Your partner request was rejected", "Hello,")
            };
            Rendered {
                subject: subject.to_string(),
                body: format!("{hello}\n\n{body}\n\n{partners_link}\n"),
            }
        }
        MailKind::VerifyEmail => {
            let name = param(p, "name");
            let link = format!("{public_url}/verify-email?token={}", param(p, "token"));
            if ko {
                Rendered {
                    subject: "Coproof 이메일 주소를 확인하십시오".to_string(),
                    body: format!(
                        "{name}님, 안녕하세요.\n\n이 주소가 귀하의 것인지 확인하려면 아래 링크를 여십시오 \
                         (24시간 동안 한 번 사용할 수 있습니다):\n\n{link}\n\n\
                         확인하기 전에는 이 주소로 보낸 파트너 요청을 받을 수 없고 파트너 요청을 보낼 수도 없습니다. \
                         Coproof에 가입하지 않았다면 이 메일을 무시하십시오.\n"
                    ),
                }
            } else {
                Rendered {
                    subject: "Confirm your e-mail address for Coproof".to_string(),
                    body: format!(
                        "Hello {name},\n\nOpen this link to confirm that this address is yours \
                         (it works once, for 24 hours):\n\n{link}\n\nUntil you do, partner \
                         requests sent to this address wait, and you cannot send any. If you did \
                         not sign up for Coproof, ignore this e-mail.\n"
                    ),
                }
            }
        }
        MailKind::PasswordReset => {
            let name = param(p, "name");
            let link = format!("{public_url}/reset-password?token={}", param(p, "token"));
            if ko {
                Rendered {
                    subject: "Coproof 비밀번호 재설정".to_string(),
                    body: format!(
                        "{name}님, 안녕하세요.\n\n비밀번호 재설정을 요청하셨습니다. 아래 링크에서 새 비밀번호를 \
                         설정하십시오 (1시간 동안 한 번 사용할 수 있습니다):\n\n{link}\n\n\
                         요청하지 않았다면 이 메일을 무시하십시오. 비밀번호는 바뀌지 않습니다.\n"
                    ),
                }
            } else {
                Rendered {
                    subject: "Reset your Coproof password".to_string(),
                    body: format!(
                        "Hello {name},\n\nSomeone asked to reset the password of this address on \
                         Coproof. Set a new one with this link (it works once, for one hour):\n\n\
                         {link}\n\nIf it was not you, ignore this e-mail: your password stays as \
                         it is.\n"
                    ),
                }
            }
        }
        MailKind::UserInvited => {
            let inviter = param(p, "inviter_name");
            let account = param(p, "account_name");
            let link = format!("{public_url}/set-password?token={}", param(p, "token"));
            if ko {
                Rendered {
                    subject: format!("{account}의 Coproof 계정이 만들어졌습니다"),
                    body: format!(
                        "안녕하세요.\n\n{inviter}님이 Coproof의 {account} 계정에 귀하를 사용자로 추가했습니다. \
                         아래 링크에서 비밀번호를 설정하십시오 (7일 동안 유효):\n\n{link}\n"
                    ),
                }
            } else {
                Rendered {
                    subject: format!("Your Coproof account at {account}"),
                    body: format!(
                        "Hello,\n\n{inviter} added you as a user of {account} on Coproof. Set your \
                         password with this link (it works for 7 days):\n\n{link}\n"
                    ),
                }
            }
        }
        MailKind::ItemShared => {
            let sharer = param(p, "sharer_name");
            let item = param(p, "item_name");
            let link = format!("{public_url}{}", param(p, "path"));
            if ko {
                Rendered {
                    subject: format!("{sharer}님이 \"{item}\"을(를) 공유했습니다"),
                    body: format!("안녕하세요.\n\n{sharer}님이 \"{item}\"을(를) 귀하와 공유했습니다.\n\n{link}\n"),
                }
            } else {
                Rendered {
                    subject: format!("{sharer} shared \"{item}\" with you"),
                    body: format!(
                        "Hello,\n\n{sharer} shared \"{item}\" with you on Coproof.\n\n{link}\n"
                    ),
                }
            }
        }
    }
}

fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(kind: MailKind, language: Language) -> Mail {
        Mail {
            kind,
            recipient: "kim@client.example".into(),
            language,
            params: serde_json::json!({
                "inviter_name": "Ann", "account_name": "Agency", "email": "kim@client.example",
                "has_account": false, "token": "abc"
            }),
        }
    }

    #[test]
    fn an_invitation_to_an_unknown_address_links_to_sign_up() {
        let r = render(
            &mail(MailKind::PartnerInvitation, Language::En),
            "https://proof.example",
        );
        assert!(r.subject.contains("Agency"));
        assert!(r
            .body
            .contains("https://proof.example/signup?email=kim%40client.example"));
    }

    #[test]
    fn korean_mail_is_in_korean() {
        let r = render(&mail(MailKind::PartnerRejected, Language::Ko), "http://x");
        assert_eq!(r.subject, "파트너 요청이 거부되었습니다");
        let r = render(&mail(MailKind::PartnerInvitation, Language::Ko), "http://x");
        assert!(r.body.contains("설정 > 계정 설정 > 파트너"));
    }

    #[test]
    fn a_rejection_names_the_account_only_when_the_store_gave_it() {
        let mut m = mail(MailKind::PartnerRejected, Language::En);
        let r = render(&m, "http://x");
        assert!(r
            .body
            .contains("Agency rejected the partner request you sent to kim@client.example"));
        m.params = serde_json::json!({"account_name": null, "email": "kim@client.example"});
        let r = render(&m, "http://x");
        assert!(r
            .body
            .contains("The partner request you sent to kim@client.example was rejected."));
        assert!(!r.body.contains("Agency"));
    }

    #[test]
    fn verification_and_reset_mails_carry_their_links() {
        let r = render(&mail(MailKind::VerifyEmail, Language::En), "http://x");
        assert!(r.body.contains("http://x/verify-email?token=abc"));
        let r = render(&mail(MailKind::PasswordReset, Language::Ko), "http://x");
        assert!(r.body.contains("http://x/reset-password?token=abc"));
        assert!(r.subject.contains("비밀번호"));
    }

    #[test]
    fn set_password_mail_carries_the_link() {
        let r = render(&mail(MailKind::UserInvited, Language::En), "http://x");
        assert!(r.body.contains("http://x/set-password?token=abc"));
    }
}
