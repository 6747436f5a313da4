//! `GET /api/v1/partners/{id}/removal-preview`: the shares both ways, the members that stop
//! syncing and the open proofs with the partner's approvers, counted and listed from each
//! side; admins only; 404 for anything but an accepted partnership of the caller's account;
//! it changes nothing, and the shares it lists outlive the removal.

use crate::on_both_backends;
use crate::support::items::{file, folder, id};
use crate::support::partners::make_partners;
use crate::support::{code, Backend, Client, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn preview(client: &Client, rel: &str) -> Value {
    let (status, body) = client
        .get(&format!("/api/v1/partners/{rel}/removal-preview"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v[field].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn proof(client: &Client, name: &str, file_id: &str, approver: &str) -> String {
    let (status, body) = client
        .post(
            "/api/v1/proofs",
            json!({"name": name, "file_id": file_id,
                   "reviewers": [{"user_id": approver, "role": "approver"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    id(&body)
}

async fn counts_and_lists_both_ways(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let lee = app.add_user(&kim, "lee@client.example", "observer").await;
    let rel = make_partners(&ann, &kim).await;

    // Ours → theirs: a folder to the whole account, two proofs with Lee as approver (one of
    // them approved, so no longer open).
    let campaign = folder(&ann, "Campaign", None).await;
    let (status, body) = ann
        .post(
            &format!("/api/v1/folders/{campaign}/shares"),
            json!({"account_id": kim.account_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let art = file(&app, &ann, "poster.pdf", Some(&campaign)).await;
    let poster = proof(&ann, "Poster", &art, &lee.user_id()).await;
    let done = proof(&ann, "Done", &art, &lee.user_id()).await;
    let (status, body) = lee
        .post(
            &format!("/api/v1/proofs/{done}/decision"),
            json!({"decision": "approved"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Theirs → ours: a folder to Ann.
    let brief = folder(&kim, "Brief", None).await;
    let (status, body) = kim
        .post(
            &format!("/api/v1/folders/{brief}/shares"),
            json!({"user_id": ann.user_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let seen = preview(&ann, &rel).await;
    assert_eq!(seen["partner_account"]["id"], kim.account_id().as_str());
    let out = &seen["shares_out"];
    assert_eq!(out["count"], 3, "{seen}");
    assert_eq!(
        names(&out["items"], "item_name"),
        ["Campaign", "Done", "Poster"]
    );
    assert_eq!(out["items"][0]["item_type"], "folder");
    assert_eq!(out["items"][0]["item_id"], campaign.as_str());
    assert_eq!(out["items"][0]["shared_with"]["kind"], "account");
    assert_eq!(out["items"][0]["shared_with"]["name"], "Client");
    assert_eq!(out["items"][2]["item_type"], "proof");
    assert_eq!(out["items"][2]["shared_with"]["kind"], "user");
    assert_eq!(out["items"][2]["shared_with"]["id"], lee.user_id().as_str());
    let incoming = &seen["shares_in"];
    assert_eq!(incoming["count"], 1, "{seen}");
    assert_eq!(incoming["items"][0]["item_id"], brief.as_str());
    assert_eq!(
        incoming["items"][0]["shared_with"]["id"],
        ann.user_id().as_str()
    );
    let members = &seen["members_that_stop_syncing"];
    assert_eq!(members["count"], 3, "{seen}");
    let mut listed: Vec<(String, String)> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_string(),
                m["side"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("ann@agency.example".to_string(), "ours".to_string()),
            ("kim@client.example".to_string(), "theirs".to_string()),
            ("lee@client.example".to_string(), "theirs".to_string()),
        ]
    );
    let proofs = &seen["open_proofs_with_partner_approvers"];
    assert_eq!(proofs["count"], 1, "{seen}");
    assert_eq!(proofs["proofs"][0]["id"], poster.as_str());
    assert_eq!(proofs["proofs"][0]["owner"], "ours");
    assert_eq!(
        proofs["proofs"][0]["approvers"],
        json!(["User lee@client.example"])
    );

    // The same partnership from the other side.
    let theirs = preview(&kim, &rel).await;
    assert_eq!(theirs["partner_account"]["id"], ann.account_id().as_str());
    assert_eq!(theirs["shares_out"]["count"], 1, "{theirs}");
    assert_eq!(theirs["shares_in"]["count"], 3, "{theirs}");
    assert_eq!(theirs["members_that_stop_syncing"]["count"], 3);
    let their_proofs = &theirs["open_proofs_with_partner_approvers"];
    assert_eq!(their_proofs["count"], 1);
    assert_eq!(their_proofs["proofs"][0]["owner"], "theirs");

    // The preview changed nothing.
    let (status, body) = ann.get(&format!("/api/v1/partners/{rel}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "accepted", "{body}");
    assert_eq!(preview(&ann, &rel).await, seen);

    // After the removal the listed shares are all still there, and there is no preview.
    let (status, _) = ann.delete(&format!("/api/v1/partners/{rel}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, list) = ann.get(&format!("/api/v1/folders/{campaign}/shares")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["shares"].as_array().map(Vec::len), Some(1), "{list}");
    for (who, path) in [
        (&kim, format!("/api/v1/folders/{campaign}")),
        (&lee, format!("/api/v1/proofs/{poster}")),
        (&lee, format!("/api/v1/proofs/{done}")),
        (&ann, format!("/api/v1/folders/{brief}")),
    ] {
        assert_eq!(who.get(&path).await.0, StatusCode::OK, "{path}");
    }
    let (status, body) = ann
        .get(&format!("/api/v1/partners/{rel}/removal-preview"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

async fn only_admins_and_only_accepted_partnerships(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let pat = app.signup("Pending", "pat@pending.example").await;
    let sam = app.signup("Elsewhere", "sam@else.example").await;
    let max = app.add_user(&ann, "max@agency.example", "manager").await;
    let rel = make_partners(&ann, &kim).await;
    let (status, pending) = ann
        .post("/api/v1/partners", json!({"email": pat.email()}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pending}");
    let pending = id(&pending);

    let path = |id: &str| format!("/api/v1/partners/{id}/removal-preview");
    // A user who is not an admin is refused, whatever the id.
    let (status, body) = max.get(&path(&rel)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "forbidden");
    // Pending (from both sides), another account's, unknown and malformed ids: not found.
    for (who, id) in [
        (&ann, pending.as_str()),
        (&pat, pending.as_str()),
        (&sam, rel.as_str()),
        (&ann, "01aaaaaaaaaaaaaaaaaaaaaaaa"),
        (&ann, "not-an-id"),
        (&ann, "%27%20OR%201%3D1%20--"),
        (&ann, "%00"),
        (&ann, &"z".repeat(300)),
    ] {
        let (status, body) = who.get(&path(id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {body}");
        assert_eq!(code(&body), "not_found", "{id}: {body}");
    }
    // Nothing of it changed anything.
    let (_, body) = ann.get(&format!("/api/v1/partners/{rel}")).await;
    assert_eq!(body["status"], "accepted");
    let (_, body) = ann.get(&format!("/api/v1/partners/{pending}")).await;
    assert_eq!(body["status"], "pending");
    // An empty partnership previews as zeros.
    let seen = preview(&ann, &rel).await;
    assert_eq!(seen["shares_out"], json!({"count": 0, "items": []}));
    assert_eq!(seen["shares_in"], json!({"count": 0, "items": []}));
    assert_eq!(seen["members_that_stop_syncing"]["count"], 3);
    assert_eq!(
        seen["open_proofs_with_partner_approvers"],
        json!({"count": 0, "proofs": []})
    );
}

on_both_backends!(
    counts_and_lists_both_ways,
    only_admins_and_only_accepted_partnerships,
);
