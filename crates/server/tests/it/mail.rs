//! Mail through a real SMTP listener: queued while the mail server is down, kept across a
//! restart of coproof, delivered exactly once when the server comes up, in the
//! recipient's language.

use crate::on_both_backends;
use crate::support::message::Message;
use crate::support::smtp::{free_port, SmtpSink};
use crate::support::{eventually, secs, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

/// Waits until the message to `recipient` was tried at least `times` times, the last try
/// over and failed (the claim given up, the error recorded) and the message still queued;
/// how many times it was tried.
async fn failed_tries(app: &TestApp, recipient: &str, times: i64) -> i64 {
    eventually(
        format!("the message to {recipient} tried and failed {times} times"),
        secs(30),
        || async {
            let row = app
                .outbox()
                .await
                .into_iter()
                .find(|r| r.recipient == recipient);
            match row {
                Some(r)
                    if r.attempts >= times
                        && r.claimed_until == 0
                        && r.last_error.is_some()
                        && r.sent_at.is_none() =>
                {
                    Ok(r.attempts)
                }
                other => Err(other),
            }
        },
    )
    .await
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
    failed_tries(&app, "kim@agency.example", 2).await;
    assert!(app.mail_files().is_empty(), "fell back to .eml files");

    // coproof restarts while the mail server is still down: the new process tries again
    // (the old one's worker has stopped: every try counted from here on is the new one's).
    app.restart().await;
    let tried = failed_tries(&app, "kim@agency.example", 0).await;
    failed_tries(&app, "kim@agency.example", tried + 1).await;

    // The mail server comes up on the configured port: the message arrives, once (counted
    // below, once a later message went out).
    let sink = SmtpSink::start(port).await;
    // (ann's verification link waited too: only kim's message is looked at.)
    let got = sink.wait_for(2, 30).await;
    assert_eq!(got.len(), 2, "the messages did not arrive");
    assert!(app.mail_delivered(30).await, "not marked sent");
    let got: Vec<_> = got
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
    assert!(app.mail_delivered(30).await, "bob's message is sent");
    // bob's message was queued after kim's was marked sent and went out after it, through
    // the same worker (one at a time, oldest first): a second delivery of kim's, or of
    // ann's, would have arrived by now, or would still be due.
    let got = sink.received();
    assert_eq!(
        got.len(),
        3,
        "kim's, ann's verification link, bob's: {got:?}"
    );
    let to_bob: Vec<_> = got
        .iter()
        .filter(|r| r.to.iter().any(|t| t.contains("bob@agency.example")))
        .collect();
    assert_eq!(to_bob.len(), 1);
    let message = Message::from_smtp(&to_bob[0].data);
    assert_eq!(message.subject(), "Your Coproof account at Agency");
    let kims: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|r| r.recipient == "kim@agency.example")
        .collect();
    assert!(
        kims.len() == 1 && kims[0].sent_at.is_some(),
        "one message to kim, sent: {kims:?}"
    );
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
    // Every message sent and claimed once, by one of the two servers: no second delivery
    // is on its way from the other.
    first.mail_sent_once().await;
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
