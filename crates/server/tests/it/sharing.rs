//! Folders, files, proofs and shares across partner accounts: partnership removal keeps
//! shares, share deletion revokes at once, the share rules, uploads and downloads with bad
//! and unusual input, folder moves, the trash, proofs with decisions and comments.

use crate::on_both_backends;
use crate::support::items::{file, folder, id, upload};
use crate::support::partners::make_partners;
use crate::support::{code, Backend, Client, TestApp};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// GETs raw bytes, with an optional `Range`.
pub async fn download(
    app: &TestApp,
    client: &Client,
    path: &str,
    range: Option<&str>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = reqwest::Client::new().get(format!("{}{}", app.base, path));
    if let Some(token) = &client.token {
        req = req.bearer_auth(token);
    }
    if let Some(range) = range {
        req = req.header("range", range);
    }
    let response = req.send().await.expect("download reaches the server");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap_or_default().to_vec();
    (status, headers, bytes)
}

/// Item-shared e-mails queued for `email`, with their languages.
async fn share_mails(app: &TestApp, email: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(
        "SELECT language FROM outbox WHERE kind = 'item_shared' AND recipient = $1 ORDER BY id",
    )
    .bind(email)
    .fetch_all(&mut *app.state().store.read().await.unwrap())
    .await
    .unwrap()
}

async fn removing_a_partnership_keeps_every_share(backend: Backend) {
    let app = TestApp::start(backend).await;
    let own = app.signup("Agency", "ann@agency.example").await;
    let partner = app.signup("Client", "kim@client.example").await;
    let reviewer = app
        .add_user(&partner, "lee@client.example", "observer")
        .await;
    let rel = make_partners(&own, &partner).await;

    let top = folder(&own, "Campaign", None).await;
    let inner = folder(&own, "Round 1", Some(&top)).await;
    let f = file(&app, &own, "poster.pdf", Some(&inner)).await;
    let (status, proof) = own
        .post(
            "/api/v1/proofs",
            json!({"name": "Poster", "file_id": f, "folder_id": inner,
                   "reviewers": [{"user_id": reviewer.user_id(), "role": "reviewer_approver"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proof}");
    let proof = id(&proof);
    let (status, _) = own
        .post(
            &format!("/api/v1/folders/{top}/shares"),
            json!({"account_id": partner.account_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let solo = own.post("/api/v1/folders", json!({"name": "Solo"})).await.1;
    let solo = id(&solo);
    let (status, _) = own
        .post(
            &format!("/api/v1/folders/{solo}/shares"),
            json!({"user_id": reviewer.user_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let before: Vec<StatusCode> = futures::future::join_all([
        reviewer.get(&format!("/api/v1/folders/{top}")),
        reviewer.get(&format!("/api/v1/files/{f}")),
        reviewer.get(&format!("/api/v1/proofs/{proof}")),
        reviewer.get(&format!("/api/v1/folders/{solo}")),
    ])
    .await
    .into_iter()
    .map(|(s, _)| s)
    .collect();
    assert_eq!(before, [StatusCode::OK; 4]);

    // The partner removes the partnership.
    let (status, _) = partner.delete(&format!("/api/v1/partners/{rel}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Every share still works, decisions and comments included.
    for path in [
        format!("/api/v1/folders/{top}"),
        format!("/api/v1/folders/{inner}"),
        format!("/api/v1/files/{f}"),
        format!("/api/v1/proofs/{proof}"),
        format!("/api/v1/folders/{solo}"),
    ] {
        assert_eq!(reviewer.get(&path).await.0, StatusCode::OK, "{path}");
    }
    let (status, body) = reviewer
        .post(
            &format!("/api/v1/proofs/{proof}/decision"),
            json!({"decision": "approved"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    // A user the partner adds after the end still reads the folder shared with the account
    // ("present and future": the share stays exactly as it was).
    let later = app
        .add_user(&partner, "park@client.example", "visitor")
        .await;
    assert_eq!(
        later.get(&format!("/api/v1/folders/{inner}")).await.0,
        StatusCode::OK
    );
    // The owner's list marks the share whose partnership ended.
    let (status, list) = own.get(&format!("/api/v1/folders/{top}/shares")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["shares"][0]["partnership_ended"], true, "{list}");
    // No new share without an active partnership.
    let (status, body) = own
        .post(
            &format!("/api/v1/files/{f}/shares"),
            json!({"user_id": reviewer.user_id()}),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "not_partner"));
}

async fn deleting_a_share_revokes_on_the_very_next_request(backend: Backend) {
    let app = TestApp::start(backend).await;
    let own = app.signup("Agency", "ann@agency.example").await;
    let partner = app.signup("Client", "kim@client.example").await;
    make_partners(&own, &partner).await;
    let f = file(&app, &own, "logo.png", None).await;
    let (status, share) = own
        .post(
            &format!("/api/v1/files/{f}/shares"),
            json!({"user_id": partner.user_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    assert_eq!(share["item_type"], "file");
    assert_eq!(share["user_id"], partner.user_id());
    assert!(share["role"].is_null());
    assert_eq!(
        partner.get(&format!("/api/v1/files/{f}")).await.0,
        StatusCode::OK
    );
    let (status, _, _) =
        download(&app, &partner, &format!("/api/v1/files/{f}/content"), None).await;
    assert_eq!(status, StatusCode::OK);
    // The recipient may not remove it (it can see the file, not manage it).
    let (status, body) = partner
        .delete(&format!("/api/v1/shares/{}", id(&share)))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));

    let (status, _) = own.delete(&format!("/api/v1/shares/{}", id(&share))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = partner.get(&format!("/api/v1/files/{f}")).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, _, _) =
        download(&app, &partner, &format!("/api/v1/files/{f}/content"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        partner
            .delete(&format!("/api/v1/shares/{}", id(&share)))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, mine) = partner.get("/api/v1/shared-with-me").await;
    assert_eq!(mine["items"], json!([]));
}

async fn share_rules_and_mail(backend: Backend) {
    let app = TestApp::start(backend).await;
    let own = app.signup("Agency", "ann@agency.example").await;
    let partner = app.signup_in("Client", "kim@client.example", "ko").await;
    let second = app
        .add_user(&partner, "lee@client.example", "manager")
        .await;
    let stranger = app.signup("Elsewhere", "sam@else.example").await;
    let pending = app.signup("Maybe", "max@maybe.example").await;
    make_partners(&own, &partner).await;
    let (status, _) = own
        .post("/api/v1/partners", json!({"email": pending.email()}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let colleague = app.add_user(&own, "bo@agency.example", "observer").await;

    let top = folder(&own, "Brand", None).await;
    let f = file(&app, &own, "brand.pdf", Some(&top)).await;
    let (_, proof) = own
        .post(
            "/api/v1/proofs",
            json!({"name": "Brand", "file_id": f, "folder_id": top}),
        )
        .await;
    let proof = id(&proof);

    let rows: &[(String, Value, StatusCode, &str)] = &[
        // Strangers and pending partners: not partners.
        (
            format!("folders/{top}"),
            json!({"user_id": stranger.user_id()}),
            StatusCode::CONFLICT,
            "not_partner",
        ),
        (
            format!("folders/{top}"),
            json!({"account_id": stranger.account_id()}),
            StatusCode::CONFLICT,
            "not_partner",
        ),
        (
            format!("files/{f}"),
            json!({"user_id": pending.user_id()}),
            StatusCode::CONFLICT,
            "not_partner",
        ),
        (
            format!("proofs/{proof}"),
            json!({"account_id": pending.account_id(), "role": "reviewer"}),
            StatusCode::CONFLICT,
            "not_partner",
        ),
        (
            format!("files/{f}"),
            json!({"user_id": "0000000000000000000000000z"}),
            StatusCode::CONFLICT,
            "not_partner",
        ),
        // Roles.
        (
            format!("proofs/{proof}"),
            json!({"user_id": partner.user_id(), "role": "author"}),
            StatusCode::BAD_REQUEST,
            "invalid_role",
        ),
        (
            format!("proofs/{proof}"),
            json!({"user_id": partner.user_id(), "role": "moderator"}),
            StatusCode::BAD_REQUEST,
            "invalid_role",
        ),
        (
            format!("proofs/{proof}"),
            json!({"user_id": partner.user_id()}),
            StatusCode::BAD_REQUEST,
            "invalid_role",
        ),
        (
            format!("proofs/{proof}"),
            json!({"user_id": partner.user_id(), "role": "boss"}),
            StatusCode::BAD_REQUEST,
            "invalid_role",
        ),
        (
            format!("folders/{top}"),
            json!({"user_id": partner.user_id(), "role": "reviewer"}),
            StatusCode::BAD_REQUEST,
            "invalid_role",
        ),
        // Shape.
        (
            format!("files/{f}"),
            json!({}),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            format!("files/{f}"),
            json!({"user_id": partner.user_id(), "account_id": partner.account_id()}),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
    ];
    for (item, body, status, error) in rows {
        let (got, answer) = own
            .post(&format!("/api/v1/{item}/shares"), body.clone())
            .await;
        assert_eq!((got, code(&answer)), (*status, *error), "{item} {body}");
    }
    // Author and moderator are fine within the owning account.
    let (status, body) = own
        .post(
            &format!("/api/v1/proofs/{proof}/shares"),
            json!({"user_id": colleague.user_id(), "role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["role"], "moderator");

    // Picking a partner account for a file adds its users as they are now.
    let (status, body) = own
        .post(
            &format!("/api/v1/files/{f}/shares"),
            json!({"account_id": partner.account_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["shares"].as_array().unwrap().len(), 2, "{body}");
    assert!(body["shares"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["account_id"].is_null()));
    assert_eq!(
        second.get(&format!("/api/v1/files/{f}")).await.0,
        StatusCode::OK
    );
    let newcomer = app
        .add_user(&partner, "new@client.example", "manager")
        .await;
    assert_eq!(
        newcomer.get(&format!("/api/v1/files/{f}")).await.0,
        StatusCode::NOT_FOUND
    );
    // A folder shared with the account reaches its future users too.
    let (status, body) = own
        .post(
            &format!("/api/v1/folders/{top}/shares"),
            json!({"account_id": partner.account_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["account_id"], partner.account_id());
    assert!(body["user_id"].is_null());
    let later = app
        .add_user(&partner, "later@client.example", "visitor")
        .await;
    let (status, seen) = later.get(&format!("/api/v1/folders/{top}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["files"][0]["id"], f);
    assert_eq!(seen["proofs"][0]["id"], proof);
    assert_eq!(
        later.get(&format!("/api/v1/proofs/{proof}")).await.0,
        StatusCode::OK
    );

    // Mail: once per share, in the recipient's language. Kim got the file share and the
    // folder share (Korean), and sharing the file again sends nothing more.
    let (status, _) = own
        .post(
            &format!("/api/v1/files/{f}/shares"),
            json!({"user_id": partner.user_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(share_mails(&app, &partner.email()).await, ["ko", "ko"]);
    assert_eq!(share_mails(&app, &second.email()).await, ["en", "en"]);
    assert_eq!(share_mails(&app, "later@client.example").await.len(), 0);
    assert!(app.mail_delivered(10).await);
    let mails = app.mail_files().join("\n");
    assert!(
        mails.contains("brand.pdf") || mails.contains("Brand"),
        "{mails}"
    );

    // shared-with-me lists both items with the owner account.
    let (status, mine) = partner.get("/api/v1/shared-with-me").await;
    assert_eq!(status, StatusCode::OK);
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{mine}");
    assert!(items.iter().all(|i| i["owner_account"]["name"] == "Agency"));
    let kinds: Vec<&str> = items
        .iter()
        .map(|i| i["item_type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"file") && kinds.contains(&"folder"),
        "{kinds:?}"
    );
}

async fn uploads_downloads_and_bad_input(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.max_upload_bytes = 4096).await;
    let own = app.signup("Agency", "ann@agency.example").await;

    // Traversal and absolute paths keep only their last part; NUL and nothing are refused.
    for (name, kept) in [
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("시안 최종.png", "시안 최종.png"),
    ] {
        let (status, body) = upload(&app, &own, name, b"x".to_vec(), None).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
        assert_eq!(body["name"], kept);
    }
    for name in ["a\u{0}b.pdf", "..", "../", ""] {
        let (status, body) = upload(&app, &own, name, b"x".to_vec(), None).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_input"),
            "{name:?}"
        );
    }
    // Nothing the client named reached the file system: only ids are there.
    let stored: Vec<String> = std::fs::read_dir(app.config.files_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(stored.len(), 4, "{stored:?}");
    assert!(stored
        .iter()
        .all(|n| n.len() == 26 && n.chars().all(|c| c.is_ascii_alphanumeric())));

    // Zero bytes: a file like any other.
    let (status, empty) = upload(&app, &own, "empty.txt", vec![], None).await;
    assert_eq!(status, StatusCode::CREATED, "{empty}");
    assert_eq!(empty["size"], 0);
    assert_eq!(
        empty["sha256"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let (status, _, bytes) = download(
        &app,
        &own,
        &format!("/api/v1/files/{}/content", id(&empty)),
        None,
    )
    .await;
    assert_eq!((status, bytes.len()), (StatusCode::OK, 0));

    // Over the limit: 413, and nothing stays behind.
    let (status, body) = upload(&app, &own, "big.bin", vec![7u8; 5000], None).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let after = std::fs::read_dir(app.config.files_dir()).unwrap().count();
    assert_eq!(after, 5);
    // Exactly at the limit is fine.
    let (status, _) = upload(&app, &own, "fits.bin", vec![7u8; 4096], None).await;
    assert_eq!(status, StatusCode::CREATED);

    // Not multipart, or no file part: 400.
    let (status, body) = own
        .raw(
            reqwest::Method::POST,
            "/api/v1/files",
            b"{}".to_vec(),
            Some("application/json"),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_input")
    );
    let (status, body) = own
        .raw(
            reqwest::Method::POST,
            "/api/v1/files",
            b"--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n".to_vec(),
            Some("multipart/form-data; boundary=b"),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_input"),
        "{body}"
    );
    // Anonymous uploads: 401.
    let (status, _) = upload(&app, &app.anonymous(), "a.txt", b"x".to_vec(), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The content type comes from the bytes, not from the name or the claim.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01".to_vec();
    let (status, body) = upload(&app, &own, "스크린샷.txt", png.clone(), None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["content_type"], "image/png");
    assert_eq!(body["size"], png.len());
    let (_, text) = upload(&app, &own, "notes.pdf", b"just text".to_vec(), None).await;
    assert_eq!(text["content_type"], "application/octet-stream");

    // Download: original Korean name, ranges.
    let path = format!("/api/v1/files/{}/content", id(&body));
    let (status, headers, bytes) = download(&app, &own, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, png);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["accept-ranges"], "bytes");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains("filename*=UTF-8''%EC%8A%A4%ED%81%AC%EB%A6%B0%EC%83%B7.txt"),
        "{disposition}"
    );
    let (status, headers, bytes) = download(&app, &own, &path, Some("bytes=0-3")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(bytes, &png[0..4]);
    assert_eq!(headers["content-range"], format!("bytes 0-3/{}", png.len()));
    let (status, _, bytes) = download(&app, &own, &path, Some("bytes=-5")).await;
    assert_eq!(
        (status, bytes.as_slice()),
        (StatusCode::PARTIAL_CONTENT, &png[png.len() - 5..])
    );
    let (status, headers, _) = download(&app, &own, &path, Some("bytes=500-")).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(headers["content-range"], format!("bytes */{}", png.len()));
}

async fn folder_moves_and_the_trash(backend: Backend) {
    let app = TestApp::start(backend).await;
    let own = app.signup("Agency", "ann@agency.example").await;
    let partner = app.signup("Client", "kim@client.example").await;
    make_partners(&own, &partner).await;
    let a = folder(&own, "A", None).await;
    let b = folder(&own, "B", Some(&a)).await;
    let c = folder(&own, "C", Some(&b)).await;
    let shared = folder(&own, "Shared", None).await;
    let f = file(&app, &own, "deep.pdf", Some(&c)).await;
    own.post(
        &format!("/api/v1/folders/{shared}/shares"),
        json!({"account_id": partner.account_id()}),
    )
    .await;

    // Names with separators or traversal are refused.
    for bad in ["../x", "/abs", "a\u{0}b", "..", "  "] {
        let (status, body) = own.post("/api/v1/folders", json!({"name": bad})).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_input"),
            "{bad:?}"
        );
    }
    // Into itself or below itself: refused, nothing changes.
    for target in [&a, &b, &c] {
        let (status, body) = own
            .patch(
                &format!("/api/v1/folders/{a}"),
                json!({"parent_id": target}),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "invalid_state")
        );
    }
    assert_eq!(
        own.get(&format!("/api/v1/folders/{a}")).await.1["folders"][0]["id"],
        b
    );

    // Moving B under the shared folder shares it (and what is inside) by inheritance.
    assert_eq!(
        partner.get(&format!("/api/v1/files/{f}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, moved) = own
        .patch(
            &format!("/api/v1/folders/{b}"),
            json!({"parent_id": shared, "name": "B moved"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        (moved["parent_id"].as_str(), moved["name"].as_str()),
        (Some(shared.as_str()), Some("B moved"))
    );
    assert_eq!(
        partner.get(&format!("/api/v1/files/{f}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        partner.get(&format!("/api/v1/folders/{c}")).await.0,
        StatusCode::OK
    );
    // The partner reads but does not edit.
    let (status, body) = partner
        .patch(&format!("/api/v1/folders/{c}"), json!({"name": "mine"}))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    // Back to the top: no longer shared.
    let (status, moved) = own
        .patch(&format!("/api/v1/folders/{b}"), json!({"parent_id": null}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(moved["parent_id"].is_null());
    assert_eq!(
        partner.get(&format!("/api/v1/files/{f}")).await.0,
        StatusCode::NOT_FOUND
    );
    // Now A can go under C's old parent chain? B (top) → into A works, since A is not below B.
    let (status, _) = own
        .patch(&format!("/api/v1/folders/{b}"), json!({"parent_id": a}))
        .await;
    assert_eq!(status, StatusCode::OK);

    // The trash: gone for everyone, listed for admins, emptied for good.
    assert_eq!(
        own.delete(&format!("/api/v1/folders/{a}")).await.0,
        StatusCode::NO_CONTENT
    );
    for path in [
        format!("/api/v1/folders/{a}"),
        format!("/api/v1/folders/{c}"),
        format!("/api/v1/files/{f}"),
    ] {
        assert_eq!(own.get(&path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, trash) = own.get("/api/v1/trash").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(trash["folders"][0]["id"], a);
    let manager = app.add_user(&own, "mo@agency.example", "manager").await;
    assert_eq!(manager.get("/api/v1/trash").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        manager.delete("/api/v1/trash").await.0,
        StatusCode::FORBIDDEN
    );
    let files_before = std::fs::read_dir(app.config.files_dir()).unwrap().count();
    assert_eq!(own.delete("/api/v1/trash").await.0, StatusCode::NO_CONTENT);
    assert_eq!(own.get("/api/v1/trash").await.1["folders"], json!([]));
    let files_after = std::fs::read_dir(app.config.files_dir()).unwrap().count();
    assert_eq!(files_after, files_before - 1);
    assert_eq!(
        own.get(&format!("/api/v1/folders/{shared}")).await.0,
        StatusCode::OK
    );
}

async fn proofs_decisions_and_comments(backend: Backend) {
    let app = TestApp::start(backend).await;
    let own = app.signup("Agency", "ann@agency.example").await;
    let partner = app.signup("Client", "kim@client.example").await;
    make_partners(&own, &partner).await;
    let approver = app.add_user(&own, "ap@agency.example", "observer").await;
    let moderator = app.add_user(&own, "mod@agency.example", "observer").await;
    let reviewer = app
        .add_user(&partner, "rev@client.example", "observer")
        .await;
    let f1 = file(&app, &own, "v1.pdf", None).await;
    let f2 = file(&app, &own, "v2.pdf", None).await;
    let (status, proof) = own
        .post(
            "/api/v1/proofs",
            json!({"name": "Label", "file_id": f1, "reviewers": [
                {"user_id": approver.user_id(), "role": "approver"},
                {"user_id": partner.user_id(), "role": "reviewer_approver"},
                {"user_id": reviewer.user_id(), "role": "reviewer"},
                {"user_id": moderator.user_id(), "role": "moderator"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proof}");
    assert_eq!(proof["status"], "pending");
    assert_eq!(proof["version"], 1);
    assert_eq!(proof["file_id"], f1);
    assert_eq!(proof["reviewers"].as_array().unwrap().len(), 4);
    let p = id(&proof);
    let decide = |who: &Client, d: &str| {
        let who = who.clone();
        let d = d.to_string();
        let p = p.clone();
        async move {
            who.post(
                &format!("/api/v1/proofs/{p}/decision"),
                json!({"decision": d}),
            )
            .await
        }
    };
    let (_, after) = decide(&approver, "approved").await;
    assert_eq!(after["status"], "pending", "the partner has not decided");
    let (_, after) = decide(&partner, "approved_with_changes").await;
    assert_eq!(after["status"], "approved_with_changes");
    let (_, after) = decide(&approver, "not_relevant").await;
    assert_eq!(after["status"], "approved_with_changes");
    let (_, after) = decide(&partner, "not_relevant").await;
    assert_eq!(after["status"], "not_relevant");
    let (_, after) = decide(&approver, "changes_required").await;
    assert_eq!(after["status"], "changes_required");
    // Reviewers and moderators do not decide; bad decisions are 400.
    assert_eq!(decide(&reviewer, "approved").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        decide(&moderator, "approved").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = decide(&approver, "maybe").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_input")
    );

    // A new version starts decisions again.
    let (status, v2) = own
        .post(
            &format!("/api/v1/proofs/{p}/versions"),
            json!({"file_id": f2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v2}");
    assert_eq!(
        (
            v2["version"].as_i64(),
            v2["file_id"].as_str(),
            v2["status"].as_str()
        ),
        (Some(2), Some(f2.as_str()), Some("pending"))
    );
    let (status, _, bytes) = download(
        &app,
        &reviewer,
        &format!("/api/v1/proofs/{p}/content"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, b"%PDF-1.4 proof");
    // The partner (not author) may not add versions.
    assert_eq!(
        partner
            .post(
                &format!("/api/v1/proofs/{p}/versions"),
                json!({"file_id": f2})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // Comments, threaded; reviewers comment, approvers alone do not.
    let (status, c1) = reviewer
        .post(
            &format!("/api/v1/proofs/{p}/comments"),
            json!({"body": "로고가 너무 작아요"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c1}");
    assert_eq!(c1["version"], 2);
    let (status, reply) = partner
        .post(
            &format!("/api/v1/proofs/{p}/comments"),
            json!({"body": "Agreed", "parent_id": c1["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(reply["parent_id"], c1["id"]);
    assert_eq!(
        approver
            .post(
                &format!("/api/v1/proofs/{p}/comments"),
                json!({"body": "x"})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = own
        .post(
            &format!("/api/v1/proofs/{p}/comments"),
            json!({"body": "x", "parent_id": "0000000000000000000000000z"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_input")
    );
    assert_eq!(
        own.post(
            &format!("/api/v1/proofs/{p}/comments"),
            json!({"body": "  "})
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    // Resolving: moderators yes, reviewers no.
    let resolve = format!("/api/v1/proofs/{p}/comments/{}/resolve", id(&c1));
    assert_eq!(
        reviewer.post(&resolve, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, resolved) = moderator.post(&resolve, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resolved["resolved"], true);
    let (status, list) = approver
        .get(&format!("/api/v1/proofs/{p}/comments?limit=1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["comments"].as_array().unwrap().len(), 1);
    let cursor = list["next_cursor"].as_str().unwrap().to_string();
    let (_, rest) = approver
        .get(&format!(
            "/api/v1/proofs/{p}/comments?limit=5&cursor={cursor}"
        ))
        .await;
    assert!(rest["next_cursor"].is_null());
    // Ids made in the same millisecond are not ordered, so find the reply in either page.
    let both: Vec<&Value> = list["comments"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["comments"].as_array().unwrap())
        .collect();
    assert_eq!(both.len(), 2);
    assert!(both
        .iter()
        .any(|c| c["parent_id"] == c1["id"] && c["body"] == "Agreed"));
    assert!(both
        .iter()
        .any(|c| c["id"] == c1["id"] && c["resolved"] == true));
}

on_both_backends!(
    removing_a_partnership_keeps_every_share,
    deleting_a_share_revokes_on_the_very_next_request,
    share_rules_and_mail,
    uploads_downloads_and_bad_input,
    folder_moves_and_the_trash,
    proofs_decisions_and_comments,
);
