//! The access matrix: every route of folders, files, proofs and shares, and the account's
//! users, audit log, sessions, tokens, two-factor, the partner removal preview, consent
//! preview, history, policy and terms, and webhooks × every kind of caller → the expected
//! status, as one table.
//!
//! The world: account Agency (own) with its billing admin, a supervisor, a manager who
//! made everything, an observer who reviews the proof, a visitor with nothing shared; an
//! active partner (admin, user) whose account got the top folder; a former partner whose
//! account got the top folder before the partnership ended; a pending partner; an
//! unrelated account; and nobody signed in.

use crate::on_both_backends;
use crate::support::items::{file, folder, id, upload};
use crate::support::partners::make_partners;
use crate::support::{Backend, Client, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The callers, in the order of the table's columns.
const ACTORS: [&str; 11] = [
    "own admin",
    "supervisor",
    "manager",
    "observer",
    "visitor",
    "partner admin",
    "partner user",
    "former partner user",
    "pending partner",
    "unrelated",
    "anonymous",
];

struct World {
    app: TestApp,
    actors: Vec<Client>,
    manager: Client,
    supervisor: Client,
    top: String,
    inner: String,
    file: String,
    proof: String,
    comment: String,
    /// The active partnership of Agency and Client.
    partner_rel: String,
    /// Agency's pending request to Pending.
    pending_rel: String,
    /// A webhook endpoint of Agency.
    webhook: String,
}

/// Where the matrix's webhook endpoints point: a port nothing listens on.
const HOOK_URL: &str = "http://127.0.0.1:9/hook";

async fn world(backend: Backend) -> World {
    // Webhook endpoints on loopback (`HOOK_URL`) are allowed.
    let app = TestApp::start_with(backend, |c| c.webhooks_allow_private = true).await;
    let admin = app.signup("Agency", "ann@agency.example").await;
    let supervisor = app
        .add_user(&admin, "sue@agency.example", "supervisor")
        .await;
    let manager = app.add_user(&admin, "max@agency.example", "manager").await;
    let observer = app.add_user(&admin, "oli@agency.example", "observer").await;
    let visitor = app.add_user(&admin, "vic@agency.example", "visitor").await;
    let partner_admin = app.signup("Client", "kim@client.example").await;
    let partner_user = app
        .add_user(&partner_admin, "lee@client.example", "manager")
        .await;
    let former_admin = app.signup("Former", "fay@former.example").await;
    let former_user = app
        .add_user(&former_admin, "fin@former.example", "manager")
        .await;
    let pending = app.signup("Pending", "pat@pending.example").await;
    let unrelated = app.signup("Elsewhere", "sam@else.example").await;

    let partner_rel = make_partners(&admin, &partner_admin).await;
    let former_rel = make_partners(&admin, &former_admin).await;
    let (status, pending_rel) = admin
        .post("/api/v1/partners", json!({"email": pending.email()}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let pending_rel = id(&pending_rel);

    let top = folder(&manager, "Top", None).await;
    let inner = folder(&manager, "Inner", Some(&top)).await;
    let file = file(&app, &manager, "art.pdf", Some(&inner)).await;
    let (status, proof) = manager
        .post(
            "/api/v1/proofs",
            json!({"name": "Art", "file_id": file, "folder_id": inner,
                   "reviewers": [{"user_id": observer.user_id(), "role": "reviewer_approver"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proof}");
    let proof = id(&proof);
    for account in [partner_admin.account_id(), former_admin.account_id()] {
        let (status, body) = manager
            .post(
                &format!("/api/v1/folders/{top}/shares"),
                json!({"account_id": account}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, _) = former_admin
        .delete(&format!("/api/v1/partners/{former_rel}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, comment) = manager
        .post(
            &format!("/api/v1/proofs/{proof}/comments"),
            json!({"body": "first"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let comment = id(&comment);
    let (status, hook) = admin
        .post(
            "/api/v1/webhooks",
            json!({"url": HOOK_URL, "events": ["share.created"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let webhook = id(&hook);
    let anonymous = app.anonymous();
    World {
        actors: vec![
            admin,
            supervisor.clone(),
            manager.clone(),
            observer,
            visitor,
            partner_admin,
            partner_user,
            former_user,
            pending,
            unrelated,
            anonymous,
        ],
        app,
        manager,
        supervisor,
        top,
        inner,
        file,
        proof,
        comment,
        partner_rel,
        pending_rel,
        webhook,
    }
}

/// The routes of this issue, each a request some caller makes.
#[derive(Debug, Clone, Copy)]
enum Route {
    GetTop,
    GetInner,
    RenameInner,
    TrashFreshFolder,
    CreateInInner,
    CreateAtTop,
    UploadIntoInner,
    GetFile,
    GetFileContent,
    CreateProofInInner,
    GetProof,
    GetProofContent,
    NewProofVersion,
    Decide,
    Comment,
    ListComments,
    ResolveComment,
    ShareFolder,
    ListFolderShares,
    ShareFile,
    ListFileShares,
    ShareProof,
    ListProofShares,
    DeleteFreshShare,
    SharedWithMe,
    RestoreFreshlyTrashed,
    ListTrash,
    EmptyTrash,
    ListUsers,
    AuditLog,
    ListSessions,
    CreateToken,
    ResendVerification,
    EndSupervisorsFreshToken,
    OfferTwoFactorWithWrongPassword,
    RemovalPreview,
    ConsentPreview,
    PartnerHistory,
    GetPartnerPolicy,
    PutPartnerPolicy,
    GetTerms,
    PutTerms,
    ListWebhooks,
    CreateWebhook,
    WebhookDeliveries,
    TestWebhook,
    DeleteFreshWebhook,
}

async fn call(w: &World, route: Route, actor: &Client) -> StatusCode {
    let (top, inner, file, proof) = (&w.top, &w.inner, &w.file, &w.proof);
    let (method, path, body): (Method, String, Option<Value>) = match route {
        Route::GetTop => (Method::GET, format!("/api/v1/folders/{top}"), None),
        Route::GetInner => (Method::GET, format!("/api/v1/folders/{inner}"), None),
        Route::RenameInner => (
            Method::PATCH,
            format!("/api/v1/folders/{inner}"),
            Some(json!({"name": "Inner"})),
        ),
        Route::TrashFreshFolder => {
            let fresh = folder(&w.manager, "Doomed", Some(top)).await;
            (Method::DELETE, format!("/api/v1/folders/{fresh}"), None)
        }
        Route::CreateInInner => (
            Method::POST,
            "/api/v1/folders".into(),
            Some(json!({"name": "Sub", "parent_id": inner})),
        ),
        Route::CreateAtTop => (
            Method::POST,
            "/api/v1/folders".into(),
            Some(json!({"name": "Mine"})),
        ),
        Route::UploadIntoInner => {
            return upload(&w.app, actor, "up.pdf", b"%PDF-1.4".to_vec(), Some(inner))
                .await
                .0
        }
        Route::GetFile => (Method::GET, format!("/api/v1/files/{file}"), None),
        Route::GetFileContent => (Method::GET, format!("/api/v1/files/{file}/content"), None),
        Route::CreateProofInInner => (
            Method::POST,
            "/api/v1/proofs".into(),
            Some(json!({"name": "P", "file_id": file, "folder_id": inner})),
        ),
        Route::GetProof => (Method::GET, format!("/api/v1/proofs/{proof}"), None),
        Route::GetProofContent => (Method::GET, format!("/api/v1/proofs/{proof}/content"), None),
        Route::NewProofVersion => (
            Method::POST,
            format!("/api/v1/proofs/{proof}/versions"),
            Some(json!({"file_id": file})),
        ),
        Route::Decide => (
            Method::POST,
            format!("/api/v1/proofs/{proof}/decision"),
            Some(json!({"decision": "approved"})),
        ),
        Route::Comment => (
            Method::POST,
            format!("/api/v1/proofs/{proof}/comments"),
            Some(json!({"body": "a note"})),
        ),
        Route::ListComments => (
            Method::GET,
            format!("/api/v1/proofs/{proof}/comments"),
            None,
        ),
        Route::ResolveComment => (
            Method::POST,
            format!("/api/v1/proofs/{proof}/comments/{}/resolve", w.comment),
            Some(json!({})),
        ),
        Route::ShareFolder => (
            Method::POST,
            format!("/api/v1/folders/{inner}/shares"),
            Some(json!({"user_id": w.supervisor.user_id()})),
        ),
        Route::ListFolderShares => (Method::GET, format!("/api/v1/folders/{inner}/shares"), None),
        Route::ShareFile => (
            Method::POST,
            format!("/api/v1/files/{file}/shares"),
            Some(json!({"user_id": w.supervisor.user_id()})),
        ),
        Route::ListFileShares => (Method::GET, format!("/api/v1/files/{file}/shares"), None),
        Route::ShareProof => (
            Method::POST,
            format!("/api/v1/proofs/{proof}/shares"),
            Some(json!({"user_id": w.supervisor.user_id(), "role": "read_only"})),
        ),
        Route::ListProofShares => (Method::GET, format!("/api/v1/proofs/{proof}/shares"), None),
        Route::DeleteFreshShare => {
            let (status, share) = w
                .manager
                .post(
                    &format!("/api/v1/folders/{inner}/shares"),
                    json!({"user_id": w.supervisor.user_id()}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED);
            (
                Method::DELETE,
                format!("/api/v1/shares/{}", id(&share)),
                None,
            )
        }
        Route::SharedWithMe => (Method::GET, "/api/v1/shared-with-me".into(), None),
        Route::RestoreFreshlyTrashed => {
            let made = folder(&w.manager, "Trashed", None).await;
            let (status, body) = w
                .manager
                .request(Method::DELETE, &format!("/api/v1/folders/{made}"), None)
                .await;
            assert!(status.is_success(), "{status} {body}");
            (
                Method::POST,
                format!("/api/v1/trash/{made}/restore"),
                Some(json!({})),
            )
        }
        Route::ListTrash => (Method::GET, "/api/v1/trash".into(), None),
        Route::EmptyTrash => (Method::DELETE, "/api/v1/trash".into(), None),
        Route::ListUsers => (Method::GET, "/api/v1/users".into(), None),
        Route::AuditLog => (Method::GET, "/api/v1/audit".into(), None),
        Route::ListSessions => (Method::GET, "/api/v1/sessions".into(), None),
        Route::CreateToken => (
            Method::POST,
            "/api/v1/tokens".into(),
            Some(json!({"name": "matrix", "expires_in_days": 1})),
        ),
        Route::ResendVerification => (
            Method::POST,
            "/api/v1/email/verify/resend".into(),
            Some(json!({})),
        ),
        Route::EndSupervisorsFreshToken => {
            let (status, made) = w
                .supervisor
                .post("/api/v1/tokens", json!({"name": "fresh"}))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{made}");
            (
                Method::DELETE,
                format!("/api/v1/sessions/{}", id(&made)),
                None,
            )
        }
        Route::OfferTwoFactorWithWrongPassword => (
            Method::POST,
            "/api/v1/two-factor".into(),
            Some(json!({"password": "not the password"})),
        ),
        Route::RemovalPreview => (
            Method::GET,
            format!("/api/v1/partners/{}/removal-preview", w.partner_rel),
            None,
        ),
        Route::ConsentPreview => (
            Method::GET,
            format!("/api/v1/partners/{}/preview", w.pending_rel),
            None,
        ),
        Route::PartnerHistory => (
            Method::GET,
            format!("/api/v1/partners/{}/history", w.partner_rel),
            None,
        ),
        Route::GetPartnerPolicy => (Method::GET, "/api/v1/partner-policy".into(), None),
        Route::PutPartnerPolicy => (
            Method::PUT,
            "/api/v1/partner-policy".into(),
            Some(
                json!({"incoming": "anyone", "allowed_domains": [], "blocked_domains": [],
                        "auto_accept_domains": [], "request_lifetime_days": 30}),
            ),
        ),
        Route::GetTerms => (
            Method::GET,
            format!("/api/v1/partners/{}/terms", w.partner_rel),
            None,
        ),
        Route::PutTerms => (
            Method::PUT,
            format!("/api/v1/partners/{}/terms", w.partner_rel),
            Some(
                json!({"max_proof_role": "reviewer_approver", "download": true,
                        "visible_users": "all"}),
            ),
        ),
        Route::ListWebhooks => (Method::GET, "/api/v1/webhooks".into(), None),
        Route::CreateWebhook => (
            Method::POST,
            "/api/v1/webhooks".into(),
            Some(json!({"url": HOOK_URL, "events": ["partner.expired"]})),
        ),
        Route::WebhookDeliveries => (
            Method::GET,
            format!("/api/v1/webhooks/{}/deliveries", w.webhook),
            None,
        ),
        Route::TestWebhook => (
            Method::POST,
            format!("/api/v1/webhooks/{}/test", w.webhook),
            Some(json!({})),
        ),
        Route::DeleteFreshWebhook => {
            let (status, hook) = w.actors[0]
                .post(
                    "/api/v1/webhooks",
                    json!({"url": HOOK_URL, "events": ["partner.expired"]}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{hook}");
            (
                Method::DELETE,
                format!("/api/v1/webhooks/{}", id(&hook)),
                None,
            )
        }
    };
    actor.request(method, &path, body).await.0
}

async fn every_route_for_every_caller(backend: Backend) {
    let w = world(backend).await;
    // Columns: own admin, supervisor, manager, observer, visitor, partner admin, partner
    // user, former partner user, pending partner, unrelated, anonymous.
    #[rustfmt::skip]
    let table: &[(Route, [u16; 11])] = &[
        (Route::GetTop,             [200, 200, 200, 404, 404, 200, 200, 200, 404, 404, 401]),
        (Route::GetInner,           [200, 200, 200, 404, 404, 200, 200, 200, 404, 404, 401]),
        (Route::RenameInner,        [200, 200, 200, 404, 404, 403, 403, 403, 404, 404, 401]),
        (Route::TrashFreshFolder,   [204, 204, 204, 404, 404, 403, 403, 403, 404, 404, 401]),
        (Route::CreateInInner,      [201, 201, 201, 404, 404, 403, 403, 403, 404, 404, 401]),
        (Route::CreateAtTop,        [201, 201, 201, 403, 403, 201, 201, 201, 201, 201, 401]),
        (Route::UploadIntoInner,    [201, 201, 201, 404, 404, 403, 403, 403, 404, 404, 401]),
        (Route::GetFile,            [200, 200, 200, 404, 404, 200, 200, 200, 404, 404, 401]),
        (Route::GetFileContent,     [200, 200, 200, 404, 404, 200, 200, 200, 404, 404, 401]),
        (Route::CreateProofInInner, [201, 201, 201, 404, 404, 403, 403, 403, 404, 404, 401]),
        (Route::GetProof,           [200, 200, 200, 200, 404, 200, 200, 200, 404, 404, 401]),
        (Route::GetProofContent,    [200, 200, 200, 200, 404, 200, 200, 200, 404, 404, 401]),
        (Route::NewProofVersion,    [201, 201, 201, 403, 404, 403, 403, 403, 404, 404, 401]),
        (Route::Decide,             [403, 403, 403, 200, 404, 403, 403, 403, 404, 404, 401]),
        (Route::Comment,            [201, 201, 201, 201, 404, 403, 403, 403, 404, 404, 401]),
        (Route::ListComments,       [200, 200, 200, 200, 404, 200, 200, 200, 404, 404, 401]),
        (Route::ResolveComment,     [200, 200, 200, 403, 404, 403, 403, 403, 404, 404, 401]),
        (Route::ShareFolder,        [201, 201, 201, 404, 404, 403, 403, 403, 404, 404, 401]),
        (Route::ListFolderShares,   [200, 200, 200, 404, 404, 403, 403, 403, 404, 404, 401]),
        (Route::ShareFile,          [201, 201, 201, 404, 404, 403, 403, 403, 404, 404, 401]),
        (Route::ListFileShares,     [200, 200, 200, 404, 404, 403, 403, 403, 404, 404, 401]),
        (Route::ShareProof,         [201, 201, 201, 403, 404, 403, 403, 403, 404, 404, 401]),
        (Route::ListProofShares,    [200, 200, 200, 403, 404, 403, 403, 403, 404, 404, 401]),
        (Route::DeleteFreshShare,   [204, 204, 204, 404, 404, 403, 403, 403, 404, 404, 401]),
        (Route::SharedWithMe,       [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
        (Route::RestoreFreshlyTrashed, [200, 403, 403, 403, 403, 404, 403, 403, 404, 404, 401]),
        (Route::ListTrash,          [200, 403, 403, 403, 403, 200, 403, 403, 200, 200, 401]),
        (Route::EmptyTrash,         [204, 403, 403, 403, 403, 204, 403, 403, 204, 204, 401]),
        (Route::ListUsers,          [200, 200, 200, 200, 403, 200, 200, 200, 200, 200, 401]),
        (Route::AuditLog,           [200, 403, 403, 403, 403, 200, 403, 403, 200, 200, 401]),
        (Route::ListSessions,       [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401]),
        (Route::CreateToken,        [201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 401]),
        (Route::ResendVerification, [202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 401]),
        (Route::EndSupervisorsFreshToken, [404, 204, 404, 404, 404, 404, 404, 404, 404, 404, 401]),
        (Route::OfferTwoFactorWithWrongPassword, [403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401]),
        (Route::RemovalPreview,     [200, 403, 403, 403, 403, 200, 403, 403, 404, 404, 401]),
        (Route::ConsentPreview,     [404, 403, 403, 403, 403, 404, 403, 403, 200, 404, 401]),
        (Route::PartnerHistory,     [200, 403, 403, 403, 403, 200, 403, 403, 404, 404, 401]),
        (Route::GetPartnerPolicy,   [200, 403, 403, 403, 403, 200, 403, 403, 200, 200, 401]),
        (Route::PutPartnerPolicy,   [200, 403, 403, 403, 403, 200, 403, 403, 200, 200, 401]),
        (Route::GetTerms,           [200, 403, 403, 403, 403, 200, 403, 403, 404, 404, 401]),
        (Route::PutTerms,           [200, 403, 403, 403, 403, 200, 403, 403, 404, 404, 401]),
        (Route::ListWebhooks,       [200, 403, 403, 403, 403, 200, 403, 403, 200, 200, 401]),
        (Route::CreateWebhook,      [201, 403, 403, 403, 403, 201, 403, 403, 201, 201, 401]),
        (Route::WebhookDeliveries,  [200, 403, 403, 403, 403, 404, 403, 403, 404, 404, 401]),
        (Route::TestWebhook,        [202, 403, 403, 403, 403, 404, 403, 403, 404, 404, 401]),
        (Route::DeleteFreshWebhook, [204, 403, 403, 403, 403, 404, 403, 403, 404, 404, 401]),
    ];
    let mut wrong = Vec::new();
    for (route, expected) in table {
        for (i, actor) in w.actors.iter().enumerate() {
            let got = call(&w, *route, actor).await;
            if got.as_u16() != expected[i] {
                wrong.push(format!(
                    "{route:?} as {}: expected {}, got {}",
                    ACTORS[i],
                    expected[i],
                    got.as_u16()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // The visitor still sees nothing, the former partner's user still reads everything.
    let (_, mine) = w.actors[7].get("/api/v1/shared-with-me").await;
    assert_eq!(mine["items"][0]["item_id"], w.top.as_str());
}

on_both_backends!(every_route_for_every_caller);
