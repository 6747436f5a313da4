//! The e-mails, in the recipient's language. Each kind's subject and body are the messages
//! `mail-<kind>-subject` and `mail-<kind>-body` of `locales/{en,ko}/mail.ftl`, filled in
//! with the typed details queued with it (`coproof_store::mail_messages`).

use crate::i18n::{MissingText, Tr};
use coproof_core::Language;
use coproof_store::mail_messages::{MailMessage, UnreadableMail};
use coproof_store::outbox::Mail;

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Why a queued mail cannot be written. The worker fails the mail as it fails one the mail
/// server refused: kept and tried again later (a newer server may read what this one
/// cannot), with the reason in the row's `last_error`.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The row's details do not fit its kind.
    #[error(transparent)]
    Unreadable(#[from] UnreadableMail),
    /// A text is missing from `mail.ftl` (in English too).
    #[error(transparent)]
    Text(#[from] MissingText),
}

/// Renders `mail`; `public_url` is where links point.
pub fn render(mail: &Mail, public_url: &str) -> Result<Rendered, RenderError> {
    let message = mail.message()?;
    Ok(render_message(&message, mail.language, public_url, true)?)
}

/// Renders `message` in `lang`; with `fallback`, a text missing in Korean is taken in
/// English rather than failing the mail.
fn render_message(
    message: &MailMessage,
    lang: Language,
    public_url: &str,
    fallback: bool,
) -> Result<Rendered, MissingText> {
    let (id, args) = arguments(message, public_url);
    let args: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let text = |part: &str| {
        let key = format!("{id}-{part}");
        match Tr::new(lang).format(&key, &args) {
            Err(e) if fallback && lang != Language::En => {
                tracing::warn!("mail text missing, sent in English: {e}");
                Tr::new(Language::En).format(&key, &args).map_err(|_| e)
            }
            text => text,
        }
    };
    Ok(Rendered {
        subject: text("subject")?,
        body: text("body")? + "\n",
    })
}

/// The message id of `message`'s texts, and their arguments.
fn arguments(
    message: &MailMessage,
    public_url: &str,
) -> (&'static str, Vec<(&'static str, String)>) {
    let partners_link = format!("{public_url}/settings/account/partners");
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    match message {
        MailMessage::UserInvited(m) => (
            "mail-user-invited",
            vec![
                ("inviter", m.inviter_name.clone()),
                ("account", m.account_name.clone()),
                (
                    "link",
                    format!("{public_url}/set-password?token={}", url_escape(&m.token)),
                ),
            ],
        ),
        MailMessage::PartnerInvitation(m) => {
            let link = if m.has_account {
                partners_link
            } else {
                format!("{public_url}/signup?email={}", url_escape(&m.email))
            };
            (
                "mail-partner-invitation",
                vec![
                    ("inviter", m.inviter_name.clone()),
                    ("account", m.account_name.clone()),
                    ("has_account", yes_no(m.has_account)),
                    ("link", link),
                ],
            )
        }
        MailMessage::PartnerAccepted(m) => (
            "mail-partner-accepted",
            vec![("account", m.account_name.clone()), ("link", partners_link)],
        ),
        MailMessage::PartnerRejected(m) => {
            // The store names the account only when the two were partners before.
            let account = m.account_name.clone().unwrap_or_default();
            (
                "mail-partner-rejected",
                vec![
                    ("named", yes_no(!account.is_empty())),
                    ("account", account),
                    ("email", m.email.clone()),
                    ("link", partners_link),
                ],
            )
        }
        MailMessage::PartnerExpired(m) => (
            "mail-partner-expired",
            vec![("email", m.email.clone()), ("link", partners_link)],
        ),
        MailMessage::ItemShared(m) => (
            "mail-item-shared",
            vec![
                ("sharer", m.sharer_name.clone()),
                ("item", m.item_name.clone()),
                ("link", format!("{public_url}{}", m.path)),
            ],
        ),
        MailMessage::VerifyEmail(m) => (
            "mail-verify-email",
            vec![
                ("name", m.name.clone()),
                (
                    "link",
                    format!("{public_url}/verify-email?token={}", url_escape(&m.token)),
                ),
            ],
        ),
        MailMessage::PasswordReset(m) => (
            "mail-password-reset",
            vec![
                ("name", m.name.clone()),
                (
                    "link",
                    format!("{public_url}/reset-password?token={}", url_escape(&m.token)),
                ),
            ],
        ),
    }
}

fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use coproof_store::mail_messages::{
        ItemShared, PartnerAccepted, PartnerExpired, PartnerInvitation, PartnerRejected,
        PasswordReset, UserInvited, VerifyEmail,
    };
    use coproof_store::outbox::MailKind;

    fn invitation(has_account: bool) -> MailMessage {
        PartnerInvitation {
            inviter_name: "Ann".into(),
            inviter_email: "ann@agency.example".into(),
            account_name: "Agency".into(),
            has_account,
            email: "kim@client.example".into(),
        }
        .into()
    }

    fn rejection(account: Option<&str>) -> MailMessage {
        PartnerRejected {
            account_name: account.map(str::to_string),
            email: "kim@client.example".into(),
        }
        .into()
    }

    /// One message of every kind, and of every variant of a kind.
    fn every_message() -> Vec<MailMessage> {
        vec![
            UserInvited {
                inviter_name: "Ann".into(),
                account_name: "Agency".into(),
                name: "Kim".into(),
                token: "abc".into(),
            }
            .into(),
            invitation(false),
            invitation(true),
            PartnerAccepted {
                account_name: "Agency".into(),
                email: "kim@client.example".into(),
            }
            .into(),
            rejection(Some("Agency")),
            rejection(None),
            PartnerExpired {
                email: "kim@client.example".into(),
            }
            .into(),
            ItemShared {
                sharer_name: "Ann".into(),
                item_name: "Spring catalogue".into(),
                item_type: "proof".into(),
                path: "/proofs/p1".into(),
            }
            .into(),
            VerifyEmail {
                name: "Kim".into(),
                token: "abc".into(),
            }
            .into(),
            PasswordReset {
                name: "Kim".into(),
                token: "abc".into(),
            }
            .into(),
        ]
    }

    fn mail(message: MailMessage, language: Language) -> Mail {
        Mail::new("kim@client.example", language, message)
    }

    fn rendered(message: MailMessage, language: Language) -> Rendered {
        render(&mail(message, language), "http://x").expect("renders")
    }

    #[test]
    fn every_text_is_in_english_and_in_korean() {
        for lang in [Language::En, Language::Ko] {
            for message in every_message() {
                let kind = message.kind();
                // No fallback: each language must have each text, with each argument.
                let r = render_message(&message, lang, "http://x", false)
                    .unwrap_or_else(|e| panic!("{kind:?} in {lang:?}: {e}"));
                for text in [&r.subject, &r.body] {
                    assert!(!text.contains('{') && !text.contains('}'), "{text}");
                    assert!(!text.contains("Unknown localization"), "{text}");
                    // No Unicode isolation marks around the arguments.
                    assert!(!text.contains(['\u{2068}', '\u{2069}']), "{text:?}");
                }
                assert!(r.body.ends_with("\n") && !r.body.ends_with("\n\n"));
                let korean = r.body.contains("안녕하세요");
                assert_eq!(korean, lang == Language::Ko, "{kind:?} in {lang:?}");
            }
        }
        // And mail.ftl holds no message that no mail uses.
        let used: std::collections::BTreeSet<String> = every_message()
            .iter()
            .flat_map(|m| {
                let (id, _) = arguments(m, "");
                [format!("{id}-subject"), format!("{id}-body")]
            })
            .collect();
        for lang in ["en", "ko"] {
            let path = format!("{}/locales/{lang}/mail.ftl", env!("CARGO_MANIFEST_DIR"));
            let ftl = std::fs::read_to_string(path).expect("mail.ftl");
            let defined: std::collections::BTreeSet<String> = ftl
                .lines()
                .filter_map(|l| l.split_once(" =").map(|(k, _)| k))
                .filter(|k| !k.starts_with([' ', '#']) && !k.is_empty())
                .map(str::to_string)
                .collect();
            assert_eq!(defined, used, "{lang}");
        }
    }

    #[test]
    fn each_kind_carries_its_link_and_its_words() {
        let cases: [(MailMessage, &str, &str, &str); 10] = [
            (
                every_message()[0].clone(),
                "http://x/set-password?token=abc",
                "Your Coproof account at Agency",
                "Agency의 Coproof 계정이 만들어졌습니다",
            ),
            (
                invitation(false),
                "http://x/signup?email=kim%40client.example",
                "Agency invites you to be partners on Coproof",
                "Agency에서 파트너 초대를 보냈습니다",
            ),
            (
                invitation(true),
                "http://x/settings/account/partners",
                "Agency invites you to be partners on Coproof",
                "Agency에서 파트너 초대를 보냈습니다",
            ),
            (
                every_message()[3].clone(),
                "http://x/settings/account/partners",
                "Agency accepted your partner request",
                "Agency에서 파트너 요청을 수락했습니다",
            ),
            (
                rejection(Some("Agency")),
                "http://x/settings/account/partners",
                "Your partner request was rejected",
                "파트너 요청이 거부되었습니다",
            ),
            (
                rejection(None),
                "http://x/settings/account/partners",
                "Your partner request was rejected",
                "파트너 요청이 거부되었습니다",
            ),
            (
                every_message()[6].clone(),
                "http://x/settings/account/partners",
                "Your partner request expired",
                "파트너 요청이 만료되었습니다",
            ),
            (
                every_message()[7].clone(),
                "http://x/proofs/p1",
                "Ann shared \"Spring catalogue\" with you",
                "Ann님이 \"Spring catalogue\"을(를) 공유했습니다",
            ),
            (
                every_message()[8].clone(),
                "http://x/verify-email?token=abc",
                "Confirm your e-mail address for Coproof",
                "Coproof 이메일 주소를 확인하십시오",
            ),
            (
                every_message()[9].clone(),
                "http://x/reset-password?token=abc",
                "Reset your Coproof password",
                "Coproof 비밀번호 재설정",
            ),
        ];
        for (message, link, en, ko) in cases {
            let kind = message.kind();
            for (lang, subject) in [(Language::En, en), (Language::Ko, ko)] {
                let r = rendered(message.clone(), lang);
                assert_eq!(r.subject, subject, "{kind:?} in {lang:?}");
                assert!(
                    r.body.contains(&format!("\n{link}\n")),
                    "{kind:?} in {lang:?}: {}",
                    r.body
                );
            }
        }
    }

    #[test]
    fn an_invitation_reads_as_it_always_did() {
        let r = rendered(invitation(false), Language::En);
        assert_eq!(
            r.body,
            "Hello,\n\nAnn of Agency has sent your organization a partner invitation on \
             Coproof. Partners share proofs, files, folders and contact details with each \
             other.\n\nTo create your account:\nhttp://x/signup?email=kim%40client.example\n\n\
             An Administrator or Billing Administrator can accept or reject it under \
             Settings > Account Settings > Partners.\n"
        );
        let r = rendered(invitation(true), Language::Ko);
        assert_eq!(
            r.body,
            "안녕하세요.\n\nAgency의 Ann님이 Coproof에서 귀하의 조직에 파트너 초대를 보냈습니다. \
             파트너가 되면 교정본, 파일, 폴더와 연락처 세부 정보를 서로 공유할 수 있습니다.\n\n\
             초대를 확인하려면:\nhttp://x/settings/account/partners\n\n\
             관리자 또는 청구 관리자가 설정 > 계정 설정 > 파트너 탭에서 수락하거나 거부할 수 있습니다.\n"
        );
        let r = rendered(invitation(true), Language::En);
        assert!(r
            .body
            .contains("\n\nTo see the invitation:\nhttp://x/settings/account/partners\n\n"));
        let r = rendered(invitation(false), Language::Ko);
        assert!(r
            .body
            .contains("\n\n계정을 만들려면:\nhttp://x/signup?email=kim%40client.example\n\n"));
    }

    #[test]
    fn an_invitation_to_an_unknown_address_links_to_sign_up_with_it_escaped() {
        let mut message = invitation(false);
        if let MailMessage::PartnerInvitation(m) = &mut message {
            m.email = "kim+proofs@client.example".into();
        }
        for lang in [Language::En, Language::Ko] {
            let r = rendered(message.clone(), lang);
            assert!(r.subject.contains("Agency"));
            assert!(r
                .body
                .contains("http://x/signup?email=kim%2Bproofs%40client.example\n"));
        }
    }

    #[test]
    fn korean_mail_uses_the_pages_words() {
        let r = rendered(rejection(None), Language::Ko);
        assert_eq!(r.subject, "파트너 요청이 거부되었습니다");
        let r = rendered(invitation(false), Language::Ko);
        assert!(r.body.contains("설정 > 계정 설정 > 파트너 탭"));
        assert!(r.body.contains("관리자 또는 청구 관리자가"));
        let r = rendered(every_message()[0].clone(), Language::Ko);
        assert!(r.body.contains("비밀번호를 설정하십시오"));
    }

    #[test]
    fn a_rejection_names_the_account_only_when_the_store_gave_it() {
        let r = rendered(rejection(Some("Agency")), Language::En);
        assert_eq!(
            r.body,
            "Hello,\n\nAgency rejected the partner request you sent to kim@client.example.\
             \n\nhttp://x/settings/account/partners\n"
        );
        let r = rendered(rejection(Some("Agency")), Language::Ko);
        assert!(r
            .body
            .contains("kim@client.example에게 보낸 파트너 요청을 Agency에서 거부했습니다."));
        for account in [None, Some("")] {
            let r = rendered(rejection(account), Language::En);
            assert!(r.body.contains(
                "\n\nThe partner request you sent to kim@client.example was rejected.\n\n"
            ));
            let r = rendered(rejection(account), Language::Ko);
            assert!(r
                .body
                .contains("\n\nkim@client.example에게 보낸 파트너 요청이 거부되었습니다.\n\n"));
            assert!(!r.body.contains("Agency"));
        }
        // A row queued with the account's name left out altogether.
        let m = Mail {
            kind: MailKind::PartnerRejected,
            recipient: "ann@agency.example".into(),
            language: Language::En,
            params: serde_json::json!({"email": "kim@client.example"}),
        };
        let r = render(&m, "http://x").expect("renders");
        assert!(r
            .body
            .contains("The partner request you sent to kim@client.example was rejected."));
    }

    #[test]
    fn names_are_written_as_typed() {
        let message: MailMessage = VerifyEmail {
            name: "김민지 <Kim> & {Co}".into(),
            token: "abc".into(),
        }
        .into();
        let r = rendered(message.clone(), Language::Ko);
        assert!(
            r.body.starts_with("김민지 <Kim> & {Co}님, 안녕하세요.\n\n"),
            "{}",
            r.body
        );
        let r = rendered(message, Language::En);
        assert!(
            r.body.starts_with("Hello 김민지 <Kim> & {Co},\n\n"),
            "{}",
            r.body
        );
    }

    #[test]
    fn a_row_that_does_not_fit_its_kind_is_an_error_not_a_panic() {
        let m = Mail {
            kind: MailKind::PasswordReset,
            recipient: "kim@client.example".into(),
            language: Language::Ko,
            params: serde_json::json!({"name": "Kim"}),
        };
        let e = render(&m, "http://x").expect_err("no token");
        assert!(matches!(e, RenderError::Unreadable(_)));
        assert!(e.to_string().contains("password_reset"), "{e}");
        let m = Mail {
            params: serde_json::json!("not an object"),
            ..m
        };
        assert!(render(&m, "http://x").is_err());
    }
}
