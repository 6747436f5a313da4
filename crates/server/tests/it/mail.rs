//! Mail through a real SMTP listener: queued while the mail server is down, kept across a
//! restart of coproof, delivered exactly once when the server comes up, in the
//! recipient's language. Also a small MIME reader for the tests that look inside mail.

use crate::on_both_backends;
use crate::support::smtp::{free_port, SmtpSink};
use crate::support::{Backend, TestApp};
use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// A message as a reader sees it: headers unfolded, subject and body decoded.
#[derive(Debug, Clone)]
pub struct Message {
    /// Lower-cased names, raw values.
    pub headers: Vec<(String, String)>,
    /// The body after its Content-Transfer-Encoding is undone.
    pub body: String,
}

impl Message {
    /// Parses an `.eml` file (or SMTP data with the dot-stuffing undone).
    pub fn parse(raw: &str) -> Message {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.1.push_str(line);
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let mut message = Message {
            headers,
            body: String::new(),
        };
        let encoding = message
            .header("content-transfer-encoding")
            .to_ascii_lowercase();
        message.body = match encoding.trim() {
            "base64" => {
                let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("a base64 body");
                String::from_utf8(bytes).expect("a UTF-8 body")
            }
            "quoted-printable" => {
                String::from_utf8(quoted_printable(body, false)).expect("a UTF-8 body")
            }
            _ => body.to_string(),
        };
        message
    }

    /// SMTP DATA as the sink kept it: lines starting with a dot were doubled.
    pub fn from_smtp(data: &str) -> Message {
        let unstuffed: Vec<&str> = data
            .split('\n')
            .map(|line| line.strip_prefix('.').unwrap_or(line))
            .collect();
        Message::parse(&unstuffed.join("\n"))
    }

    /// The raw value of a header ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The subject with RFC 2047 encoded words decoded.
    pub fn subject(&self) -> String {
        decode_words(self.header("subject"))
    }
}

/// Undoes quoted-printable; `underscores` is the Q encoding of headers.
fn quoted_printable(text: &str, underscores: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b'_' if underscores => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes `=?charset?B|Q?text?=` words; white space between two encoded words goes.
fn decode_words(value: &str) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut pending_space: Vec<u8> = Vec::new();
    let mut last_was_word = false;
    for token in value.split_inclusive([' ', '\t']) {
        let word = token.trim_end_matches([' ', '\t']);
        let space = &token[word.len()..];
        let decoded = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let mut parts = w.splitn(3, '?');
                let _charset = parts.next()?;
                let kind = parts.next()?.to_ascii_uppercase();
                let text = parts.next()?;
                match kind.as_str() {
                    "B" => base64::engine::general_purpose::STANDARD.decode(text).ok(),
                    "Q" => Some(quoted_printable(text, true)),
                    _ => None,
                }
            });
        match decoded {
            Some(bytes) => {
                if !last_was_word {
                    out.append(&mut pending_space);
                }
                pending_space.clear();
                out.extend(bytes);
                last_was_word = true;
            }
            None => {
                out.append(&mut pending_space);
                out.extend(word.as_bytes());
                last_was_word = false;
            }
        }
        pending_space.extend(space.as_bytes());
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn mail_waits_for_the_mail_server_across_a_restart(backend: Backend) {
    let port = free_port().await;
    let mut app = TestApp::start_with(backend, |c| {
        c.smtp_url = Some(format!("smtp://{port}"));
        c.mail_retry_max_secs = 1;
        c.public_url = Some("https://proof.example".into());
    })
    .await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let (status, body) = ann
        .post(
            "/api/v1/users",
            json!({"email": "kim@agency.example", "name": "김민지", "profile": "manager",
                   "language": "ko"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The mail server is down: the message waits in the outbox, tried again and again.
    assert!(
        !app.mail_delivered(3).await,
        "delivered with no mail server listening"
    );
    assert!(app.mail_files().is_empty(), "fell back to .eml files");

    // coproof restarts while the mail server is still down.
    app.restart().await;
    assert!(!app.mail_delivered(2).await);

    // The mail server comes up on the configured port: the message arrives, once.
    let sink = SmtpSink::start(port).await;
    // (ann's verification link waited too: only kim's message is looked at.)
    let got = sink.wait_for(2, 20).await;
    assert_eq!(got.len(), 2, "the messages did not arrive");
    assert!(app.mail_delivered(5).await, "not marked sent");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let got: Vec<_> = sink
        .received()
        .into_iter()
        .filter(|r| r.to.iter().any(|t| t.contains("kim@agency.example")))
        .collect();
    assert_eq!(got.len(), 1, "delivered more than once: {got:?}");

    let received = &got[0];
    assert!(
        received.to.iter().any(|t| t.contains("kim@agency.example")),
        "{received:?}"
    );
    let message = Message::from_smtp(&received.data);
    assert_eq!(message.subject(), "Agency의 Coproof 계정이 만들어졌습니다");
    assert!(message.header("to").contains("kim@agency.example"));
    assert!(
        message.body.contains("비밀번호를 설정하십시오"),
        "{message:?}"
    );
    assert!(
        message
            .body
            .contains("https://proof.example/set-password?token="),
        "{message:?}"
    );
    assert!(
        message.header("message-id").ends_with("@proof.example>"),
        "{message:?}"
    );

    // An English recipient, with the server up, gets English at once.
    let ann = app.login("ann@agency.example", "correct horse").await;
    let (status, body) = ann
        .post(
            "/api/v1/users",
            json!({"email": "bob@agency.example", "name": "Bob", "profile": "visitor"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let got = sink.wait_for(3, 10).await;
    assert_eq!(got.len(), 3, "kim's, ann's verification link, bob's");
    let to_bob: Vec<_> = got
        .iter()
        .filter(|r| r.to.iter().any(|t| t.contains("bob@agency.example")))
        .collect();
    assert_eq!(to_bob.len(), 1);
    let message = Message::from_smtp(&to_bob[0].data);
    assert_eq!(message.subject(), "Your Coproof account at Agency");
    assert!(app.mail_delivered(5).await);
    app.stop().await;
    sink.stop();
}

/// Two servers on one database (behind a load balancer): each e-mail is sent once.
async fn two_servers_send_each_mail_once(backend: Backend) {
    let sink = SmtpSink::start(free_port().await).await;
    let smtp = sink.url();
    let first = TestApp::start_with(backend, |c| {
        c.smtp_url = Some(smtp.clone());
        c.mail_retry_max_secs = 1;
    })
    .await;
    let database = first.config.database_url.clone();
    let second = TestApp::start_with(backend, |c| {
        c.smtp_url = Some(smtp.clone());
        c.mail_retry_max_secs = 1;
        c.database_url = database;
    })
    .await;
    let ann = first.signup("Agency", "ann@agency.example").await;
    let ann_there = second.login("ann@agency.example", "correct horse").await;
    let count = 12;
    let creations = (0..count).map(|i| {
        let admin = if i % 2 == 0 { &ann } else { &ann_there };
        async move {
            admin
                .post(
                    "/api/v1/users",
                    json!({"email": format!("user{i}@agency.example"), "name": format!("User {i}"),
                           "profile": "visitor"}),
                )
                .await
        }
    });
    for (status, body) in futures::future::join_all(creations).await {
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // The users' set-password mails, and ann's verification link.
    let got = sink.wait_for(count + 1, 30).await;
    assert_eq!(got.len(), count + 1);
    assert!(first.mail_delivered(10).await);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let got = sink.received();
    let mut recipients: Vec<String> = got
        .iter()
        .flat_map(|r| r.to.clone())
        .filter(|to| !to.contains("ann@agency.example"))
        .collect();
    recipients.sort();
    let before = recipients.len();
    recipients.dedup();
    assert_eq!(before, count, "{recipients:?}");
    assert_eq!(recipients.len(), count, "a message was sent twice");
    sink.stop();
}

on_both_backends!(
    mail_waits_for_the_mail_server_across_a_restart,
    two_servers_send_each_mail_once,
);

#[test]
fn encoded_words_and_bodies_decode() {
    assert_eq!(
        decode_words("=?utf-8?b?7JWI64WV?= =?utf-8?b?7ZWY7IS47JqU?="),
        "안녕하세요"
    );
    assert_eq!(
        decode_words("Hello =?utf-8?q?w=C3=B6rld_x?= !"),
        "Hello wörld x !"
    );
    assert_eq!(decode_words("plain subject"), "plain subject");
    let m = Message::parse(
        "Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc\r\n",
    );
    assert_eq!(m.body, "a=bc\n");
}
