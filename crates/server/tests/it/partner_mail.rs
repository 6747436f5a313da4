//! Partner e-mails end to end through a real SMTP listener: the invitation to the invited
//! address, "accepted" and "rejected" to the sending user, each in the recipient's language;
//! and a mail server that is down at first gets each message later, exactly once.

use crate::support::partners::{act, sent};
use crate::support::smtp::{free_port, Received, SmtpSink};
use crate::support::{eventually, secs, within, Backend, Client, TestApp};
use base64::Engine;
use reqwest::StatusCode;

/// A message as a reader sees it: decoded subject and body.
#[derive(Debug)]
struct Letter {
    to: String,
    subject: String,
    body: String,
}

fn decode_qp(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') => i += 3,
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => out.push(b),
                    Err(_) => out.extend_from_slice(&bytes[i..i + 3]),
                }
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=` / `=?utf-8?q?…?=`).
fn decode_header(value: &str) -> String {
    let mut out = String::new();
    for token in value.split_whitespace() {
        let word = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                let (_charset, enc, text) = (parts.next()?, parts.next()?, parts.next()?);
                let raw = if enc.eq_ignore_ascii_case("b") {
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?
                } else {
                    decode_qp(&text.replace('_', " "))
                };
                String::from_utf8(raw).ok()
            });
        match word {
            // Whitespace between two encoded words is not part of the text.
            Some(w) => out.push_str(&w),
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(token);
            }
        }
    }
    out
}

fn read(received: &Received) -> Letter {
    let data = received.data.replace("\r\n", "\n");
    let (head, body) = data.split_once("\n\n").unwrap_or((&data, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // SMTP dot-stuffing.
    let body: String = body
        .lines()
        .map(|l| {
            l.strip_prefix('.')
                .filter(|r| r.starts_with('.'))
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let body = match header("content-transfer-encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            let raw = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .expect("base64 body");
            String::from_utf8(raw).expect("UTF-8 body")
        }
        "quoted-printable" => String::from_utf8(decode_qp(&body)).expect("UTF-8 body"),
        _ => body,
    };
    Letter {
        to: received.to.join(","),
        subject: decode_header(&header("subject")),
        body,
    }
}

/// The letters to `address` among those received.
fn to(letters: &[Letter], address: &str) -> Vec<String> {
    letters
        .iter()
        .filter(|l| l.to.contains(address))
        .map(|l| format!("{}\n{}", l.subject, l.body))
        .collect()
}

/// The partner letters received (the sign-ups' verification links left out), once the
/// outbox has emptied and `n` of them arrived (or 20 s passed).
async fn letters(sink: &SmtpSink, app: &TestApp, n: usize) -> Vec<Letter> {
    assert!(app.mail_delivered(30).await, "the outbox empties");
    let _ = within(secs(20), || async { partner_letters(sink).len() >= n }).await;
    partner_letters(sink)
}

/// Every letter received but the verification links (`identity_flows` tests those).
fn partner_letters(sink: &SmtpSink) -> Vec<Letter> {
    sink.received()
        .iter()
        .map(read)
        .filter(|l| !l.body.contains("/verify-email?token="))
        .collect()
}

async fn ok(client: &Client, id: &str, action: &str) {
    let (status, body) = act(client, id, action).await;
    assert_eq!(status, StatusCode::OK, "{action}: {body}");
}

async fn invitations_and_answers_are_mailed_in_the_right_language(backend: Backend) {
    let sink = SmtpSink::start(free_port().await).await;
    let url = sink.url();
    let app = TestApp::start_with(backend, |c| {
        c.smtp_url = Some(url);
        c.public_url = Some("https://proof.example".into());
    })
    .await;
    let s = app.signup("Sender Studio", "sam@sender.test").await;
    let k = app
        .signup_in("Hangul Design", "kim@hangul.test", "ko")
        .await;
    let p = app.signup("Print Shop", "pat@print.test").await;

    // An invitation to a Korean user is in Korean, with a link to the Partners tab.
    let to_kim = sent(&s, "kim@hangul.test").await;
    // An invitation to an address with no account links to sign-up (in the sender's language).
    sent(&s, "nobody@new.test").await;
    let got = letters(&sink, &app, 2).await;
    assert_eq!(got.len(), 2, "{got:?}");
    let kim = to(&got, "kim@hangul.test");
    assert_eq!(kim.len(), 1, "{got:?}");
    assert!(kim[0].contains("파트너 초대"), "{}", kim[0]);
    assert!(kim[0].contains("Sender Studio") && kim[0].contains("Admin of Sender Studio"));
    assert!(kim[0].contains("https://proof.example/settings/account/partners"));
    let nobody = to(&got, "nobody@new.test");
    assert_eq!(nobody.len(), 1);
    assert!(
        nobody[0].contains("Sender Studio invites you to be partners"),
        "{}",
        nobody[0]
    );
    assert!(
        nobody[0].contains("https://proof.example/signup?email=nobody%40new.test"),
        "{}",
        nobody[0]
    );

    // Kim's account accepts: the sending user gets "accepted", in English.
    ok(&k, &to_kim, "accept").await;
    let got = letters(&sink, &app, 3).await;
    let sam = to(&got, "sam@sender.test");
    assert_eq!(sam.len(), 1, "{got:?}");
    assert!(
        sam[0].contains("Hangul Design accepted your partner request"),
        "{}",
        sam[0]
    );

    // Print Shop rejects a request from S: "rejected" to the sending user, in English.
    let to_pat = sent(&s, "pat@print.test").await;
    ok(&p, &to_pat, "reject").await;
    let got = letters(&sink, &app, 5).await;
    let sam = to(&got, "sam@sender.test");
    assert_eq!(sam.len(), 2, "{got:?}");
    assert!(
        sam.iter()
            .any(|m| m.contains("Your partner request was rejected")
                && !m.contains("Print Shop")
                && m.contains("pat@print.test")),
        "{sam:?}"
    );
    assert_eq!(to(&got, "pat@print.test").len(), 1, "one invitation to pat");

    // Kim (Korean) sends; Print Shop rejects, then a new account accepts: both in Korean.
    let from_kim = sent(&k, "pat@print.test").await;
    ok(&p, &from_kim, "reject").await;
    let o = app.signup("Olive Press", "olga@olive.test").await;
    let to_olga = sent(&k, "olga@olive.test").await;
    ok(&o, &to_olga, "accept").await;
    let got = letters(&sink, &app, 9).await;
    let kim = to(&got, "kim@hangul.test");
    assert_eq!(kim.len(), 3, "{kim:?}");
    assert!(kim
        .iter()
        .any(|m| m.contains("파트너 요청이 거부되었습니다")
            && m.contains("pat@print.test")
            && !m.contains("Print Shop")));
    assert!(kim
        .iter()
        .any(|m| m.contains("Olive Press에서 파트너 요청을 수락했습니다")));
    // One invitation per request: pat got two (S's and Kim's), olga one; nothing more.
    assert_eq!(to(&got, "pat@print.test").len(), 2);
    assert_eq!(to(&got, "olga@olive.test").len(), 1);
    // Every message sent and claimed for delivery once: no second delivery can be on its way.
    app.mail_sent_once().await;
    assert_eq!(partner_letters(&sink).len(), 9, "no message is sent twice");
    sink.stop();
}

async fn mail_waits_for_a_mail_server_that_is_down_and_is_sent_once(backend: Backend) {
    let addr = free_port().await;
    let app = TestApp::start_with(backend, |c| {
        c.smtp_url = Some(format!("smtp://{addr}"));
        c.mail_retry_max_secs = 1;
    })
    .await;
    let s = app.signup("Sender Studio", "sam@sender.test").await;
    let r = app.signup("Recipient Print", "rita@recipient.test").await;
    let id = sent(&s, "rita@recipient.test").await;
    ok(&r, &id, "accept").await;
    // Nothing listens: each message is tried, and tried again, and stays queued.
    eventually("every message tried twice and failed", secs(30), || async {
        let outbox = app.outbox().await;
        let tried = outbox.iter().all(|r| {
            r.attempts >= 2 && r.claimed_until == 0 && r.last_error.is_some() && r.sent_at.is_none()
        });
        if outbox.len() == 4 && tried {
            Ok(())
        } else {
            Err(outbox)
        }
    })
    .await;
    let queued = coproof_store::outbox::depth(&app.state().store)
        .await
        .expect("outbox depth");
    assert_eq!(
        queued, 4,
        "the outbox still holds both messages (and the two sign-ups' verification links)"
    );

    let sink = SmtpSink::start(addr).await;
    assert!(
        app.mail_delivered(30).await,
        "delivered once the server is up"
    );
    // A later message, queued once those were marked sent, goes out after them through the
    // same worker (one batch at a time, oldest first): a second delivery of any of them
    // would have arrived before it, or would still be due.
    sent(&s, "later@else.test").await;
    assert!(app.mail_delivered(30).await, "the later message is sent");
    let got = partner_letters(&sink);
    assert_eq!(to(&got, "later@else.test").len(), 1, "{got:?}");
    let got: Vec<Letter> = got
        .into_iter()
        .filter(|l| !l.to.contains("later@else.test"))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(to(&got, "rita@recipient.test").len(), 1);
    assert_eq!(to(&got, "sam@sender.test").len(), 1);
    assert!(to(&got, "sam@sender.test")[0].contains("Recipient Print accepted"));
    sink.stop();
}

crate::on_both_backends!(
    invitations_and_answers_are_mailed_in_the_right_language,
    mail_waits_for_a_mail_server_that_is_down_and_is_sent_once,
);
