//! Pages for what is shared: Shared with me, a folder with what is inside it, and a proof
//! (its current version shown in the page when it is an image, reviewers with their roles
//! and decisions, the decision buttons for approvers, comments). Every rule is the store's
//! (`coproof_store::items`, the one access function): these handlers only show and post.

use super::create::{new_items, NewItems};
use super::{when, with_code, Chrome, OrPage, PageError, Signed, SignedPost};
use crate::http::api::proofs::comment_body;
use crate::http::error::ApiError;
use crate::http::security_log::{event, note};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use coproof_core::sharing::{Decision, ItemKind, ProofRole};
use coproof_store::items::{comments, files, folders, proofs, share_dialog, shares};
use coproof_store::security::SecurityAction;

/// An item in a list: where it links to, its name and a short description.
pub struct Entry {
    pub link: String,
    pub name: String,
    pub kind: String,
    pub detail: String,
}

pub fn link(kind: ItemKind, id: &str) -> String {
    match kind {
        ItemKind::Folder => format!("/folders/{id}"),
        ItemKind::Proof => format!("/proofs/{id}"),
        ItemKind::File => format!("/files/{id}"),
    }
}

fn kind_label(c: &Chrome, kind: ItemKind) -> String {
    c.t.get(&format!("item-kind-{}", kind.as_str()))
}

fn decision_label(c: &Chrome, decision: Decision) -> String {
    c.t.get(&format!("decision-{}", decision.as_str()))
}

#[derive(Template)]
#[template(path = "shared_with_me.html")]
struct SharedPage {
    c: Chrome,
    entries: Vec<Entry>,
}

/// Everything shared with the signed-in user or its account that it can still see.
pub async fn shared_with_me(
    State(state): State<AppState>,
    Signed { req, me }: Signed,
) -> Result<Response, PageError> {
    let (items, _) = shares::shared_with_me(&state.store, &me, None, 200)
        .await
        .or_page(&req)?;
    let c = req.chrome("shared-title");
    let entries = items
        .iter()
        .map(|item| Entry {
            link: link(item.item_type, &item.item_id),
            name: item.name.clone(),
            kind: kind_label(&c, item.item_type),
            detail: item.owner_account.name.clone(),
        })
        .collect();
    Ok(req.render(&SharedPage { c, entries }))
}

#[derive(Template)]
#[template(path = "folder.html")]
struct FolderPage {
    c: Chrome,
    name: String,
    entries: Vec<Entry>,
    share: Option<ShareForm>,
    new_items: Option<NewItems>,
    /// The folder's id, when the user may rename it and put it in the trash.
    manage: Option<String>,
}

/// The share dialog of a page: where it posts, what to suggest, the roles (proofs).
pub struct ShareForm {
    pub action: String,
    pub back: String,
    pub suggestions: Vec<String>,
    pub roles: Vec<(&'static str, String)>,
    pub shares: Vec<ShareRow>,
}

/// An existing share as the dialog lists it.
pub struct ShareRow {
    pub id: String,
    pub to: String,
    pub role: String,
    pub ended: bool,
}

/// The dialog, when the user may share the item.
async fn share_form(
    state: &AppState,
    c: &Chrome,
    me: &coproof_store::model::User,
    kind: ItemKind,
    id: &str,
    may_share: bool,
) -> Option<ShareForm> {
    if !may_share {
        return None;
    }
    let roles = match kind {
        ItemKind::Proof => ProofRole::ALL
            .into_iter()
            .map(|r| (r.as_str(), c.t.get(&format!("role-{}", r.as_str()))))
            .collect(),
        _ => Vec::new(),
    };
    let shares = shares::list_named(&state.store, me, kind, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|listed| ShareRow {
            id: listed.share.id,
            to: listed.to,
            role: listed
                .share
                .role
                .map(|r| c.t.get(&format!("role-{}", r.as_str())))
                .unwrap_or_default(),
            ended: listed.share.partnership_ended,
        })
        .collect();
    Some(ShareForm {
        action: format!("{}/share", link(kind, id)),
        back: link(kind, id),
        shares,
        suggestions: share_dialog::suggestions(&state.store, me)
            .await
            .unwrap_or_default(),
        roles,
    })
}

/// A folder and what is inside it that the user may see.
pub async fn folder(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Signed { req, me }: Signed,
) -> Result<Response, PageError> {
    let view = folders::get(&state.store, &me, &id).await.or_page(&req)?;
    let mut c = req.chrome("folder-title");
    c.title = view.folder.name.clone();
    let entries = top_entries(&c, &view.folders, &view.proofs, &view.files);
    let share = share_form(
        &state,
        &c,
        &me,
        ItemKind::Folder,
        &id,
        view.access.rights.share,
    )
    .await;
    Ok(req.render(&FolderPage {
        new_items: new_items(view.access.rights.edit, Some(&id)),
        manage: view.access.rights.edit.then(|| id.clone()),
        name: view.folder.name.clone(),
        c,
        entries,
        share,
    }))
}

/// Folders, then proofs (with their status), then files (with their size), as list rows.
pub fn top_entries(
    c: &Chrome,
    folders: &[folders::Folder],
    proofs: &[proofs::Proof],
    files: &[files::File],
) -> Vec<Entry> {
    let mut entries: Vec<Entry> = folders
        .iter()
        .map(|f| Entry {
            link: link(ItemKind::Folder, &f.id),
            name: f.name.clone(),
            kind: kind_label(c, ItemKind::Folder),
            detail: String::new(),
        })
        .collect();
    entries.extend(proofs.iter().map(|p| Entry {
        link: link(ItemKind::Proof, &p.id),
        name: p.name.clone(),
        kind: kind_label(c, ItemKind::Proof),
        detail: decision_label(c, p.status),
    }));
    entries.extend(files.iter().map(|f| Entry {
        link: link(ItemKind::File, &f.id),
        name: f.name.clone(),
        kind: kind_label(c, ItemKind::File),
        detail: c.t.get1("file-size", "bytes", &f.size.to_string()),
    }));
    entries
}

#[derive(Template)]
#[template(path = "file.html")]
struct FilePage {
    c: Chrome,
    id: String,
    name: String,
    size: String,
    content_type: String,
    sha256: String,
    image: bool,
    pdf: bool,
    may_make_proof: bool,
    share: Option<ShareForm>,
}

/// A file: what it is, the picture when it is an image, the download, the share dialog.
pub async fn file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Signed { req, me }: Signed,
) -> Result<Response, PageError> {
    let (file, access) = files::get(&state.store, &me, &id).await.or_page(&req)?;
    let mut c = req.chrome("item-kind-file");
    c.title = file.name.clone();
    let share = share_form(&state, &c, &me, ItemKind::File, &id, access.rights.share).await;
    Ok(req.render(&FilePage {
        size: c.t.get1("file-size", "bytes", &file.size.to_string()),
        image: file.content_type.starts_with("image/"),
        pdf: file.content_type == "application/pdf",
        may_make_proof: access.rights.edit,
        id: file.id,
        name: file.name,
        content_type: file.content_type,
        sha256: file.sha256,
        share,
        c,
    }))
}

/// A reviewer as the proof page shows it.
pub struct ReviewerRow {
    pub name: String,
    pub role: String,
    pub decision: String,
}

/// A comment as the proof page shows it.
pub struct CommentRow {
    pub id: String,
    pub author: String,
    pub body: String,
    pub at: String,
    pub reply: bool,
    pub resolved: bool,
}

/// Comments in threads: each comment followed by its replies (oldest first).
fn threaded(found: &[comments::Comment]) -> Vec<&comments::Comment> {
    let mut out = Vec::with_capacity(found.len());
    for top in found.iter().filter(|c| c.parent_id.is_none()) {
        out.push(top);
        out.extend(
            found
                .iter()
                .filter(|c| c.parent_id.as_deref() == Some(top.id.as_str())),
        );
    }
    // Replies whose comment is on another page of the list still show.
    out.extend(found.iter().filter(|c| {
        c.parent_id
            .as_deref()
            .is_some_and(|p| !found.iter().any(|t| t.id == p))
    }));
    out
}

#[derive(Template)]
#[template(path = "proof.html")]
struct ProofPage {
    c: Chrome,
    id: String,
    name: String,
    version: i64,
    status: String,
    image: bool,
    pdf: bool,
    reviewers: Vec<ReviewerRow>,
    decisions: Vec<(&'static str, String)>,
    may_comment: bool,
    may_resolve: bool,
    may_add_version: bool,
    folder_id: String,
    comments: Vec<CommentRow>,
    share: Option<ShareForm>,
}

/// A proof: its current version, reviewers and decisions, and comments.
pub async fn proof(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Signed { req, me }: Signed,
) -> Result<Response, PageError> {
    let (proof, access) = proofs::get(&state.store, &me, &id).await.or_page(&req)?;
    let file = files::get_for_proof(&state.store, &proof.file_id)
        .await
        .or_page(&req)?;
    let found = comments::list(&state.store, &me, &id, None, 200)
        .await
        .or_page(&req)?;
    let mut c = req.chrome("proof-title");
    c.title = proof.name.clone();
    let reviewers = proof
        .reviewers
        .iter()
        .map(|r| ReviewerRow {
            name: r.name.clone(),
            role: c.t.get(&format!("role-{}", r.role.as_str())),
            decision: r
                .decision
                .map(|d| decision_label(&c, d))
                .unwrap_or_default(),
        })
        .collect();
    let decisions = if access.rights.decide {
        Decision::ALL
            .into_iter()
            .filter(|d| *d != Decision::Pending)
            .map(|d| (d.as_str(), decision_label(&c, d)))
            .collect()
    } else {
        Vec::new()
    };
    let comments = threaded(&found)
        .into_iter()
        .map(|comment| CommentRow {
            id: comment.id.clone(),
            author: comment.author_name.clone(),
            body: comment.body.clone(),
            at: when(comment.created_at),
            reply: comment.parent_id.is_some(),
            resolved: comment.resolved,
        })
        .collect();
    let share = share_form(&state, &c, &me, ItemKind::Proof, &id, access.rights.share).await;
    Ok(req.render(&ProofPage {
        share,
        status: decision_label(&c, proof.status),
        id: proof.id.clone(),
        name: proof.name.clone(),
        version: proof.version,
        image: file.content_type.starts_with("image/"),
        pdf: file.content_type == "application/pdf",
        reviewers,
        decisions,
        may_comment: access.rights.comment,
        may_resolve: access.rights.resolve,
        may_add_version: access.rights.edit,
        folder_id: proof.folder_id.clone().unwrap_or_default(),
        comments,
        c,
    }))
}

/// An approver's decision, from the buttons of the proof page.
pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let page = format!("/proofs/{id}");
    let Some(decision) = Decision::parse(posted.field("decision")) else {
        return Ok(posted
            .req
            .redirect(&with_code(&page, "error", "invalid_input")));
    };
    proofs::decide(&state.store, &me, &id, decision)
        .await
        .or_page(&posted.req)?;
    Ok(posted.req.redirect(&with_code(&page, "ok", "decided")))
}

/// A comment (or a reply) from the proof page's form.
pub async fn comment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let page = format!("/proofs/{id}");
    let body = match comment_body(posted.field("body")) {
        Ok(body) => body,
        Err(e) => return Ok(posted.req.redirect(&with_code(&page, "error", e.code))),
    };
    let parent = Some(posted.field("parent_id").trim()).filter(|p| !p.is_empty());
    let to = match comments::add(&state.store, &me, &id, body, parent).await {
        Ok(_) => with_code(&page, "ok", "commented"),
        Err(e) => {
            let e = ApiError::from(e);
            if e.code != "invalid_input" {
                return Err(posted.req.fail(e));
            }
            with_code(&page, "error", e.code)
        }
    };
    Ok(posted.req.redirect(&to))
}

/// Resolves a comment, or opens it again (`resolved` = `1` or `0`).
pub async fn resolve_comment(
    State(state): State<AppState>,
    Path((id, comment_id)): Path<(String, String)>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let resolved = posted.field("resolved") != "0";
    comments::resolve(&state.store, &me, &id, &comment_id, resolved)
        .await
        .or_page(&posted.req)?;
    let code = if resolved { "resolved" } else { "reopened" };
    Ok(posted
        .req
        .redirect(&with_code(&format!("/proofs/{id}"), "ok", code)))
}

/// The share dialog's post: a person (by e-mail) or a partner account (by name), and a
/// role for proofs.
async fn share(
    state: &AppState,
    kind: ItemKind,
    id: &str,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let page = link(kind, id);
    let role = (kind == ItemKind::Proof).then(|| posted.field("role"));
    let result = match share_dialog::target(&state.store, &me, posted.field("to")).await {
        Ok(target) => shares::create(&state.store, &me, kind, id, &target, role).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(made) => {
            state.mail_wake.notify_one();
            for share in &made {
                let added = event(SecurityAction::ShareAdded, &me, posted.req.ip).about(&share.id);
                note(state, added).await;
            }
            Ok(posted.req.redirect(&with_code(&page, "ok", "shared")))
        }
        Err(e) => {
            let e = ApiError::from(e);
            if matches!(e.code, "forbidden" | "not_found") {
                return Err(posted.req.fail(e));
            }
            Ok(posted.req.redirect(&with_code(&page, "error", e.code)))
        }
    }
}

pub async fn share_folder(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: SignedPost,
) -> Result<Response, PageError> {
    share(&state, ItemKind::Folder, &id, posted).await
}

pub async fn share_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: SignedPost,
) -> Result<Response, PageError> {
    share(&state, ItemKind::File, &id, posted).await
}

pub async fn share_proof(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: SignedPost,
) -> Result<Response, PageError> {
    share(&state, ItemKind::Proof, &id, posted).await
}

/// Where a share's delete form may send the user back to: one of our item pages.
fn item_page(back: &str) -> Option<&str> {
    let id = ["/folders/", "/files/", "/proofs/"]
        .iter()
        .find_map(|prefix| back.strip_prefix(prefix))?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(back)
}

/// Deletes a share from the dialog's list; access ends on the very next request.
pub async fn delete_share(
    State(state): State<AppState>,
    Path(share_id): Path<String>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let back = item_page(posted.field("back")).unwrap_or("/").to_string();
    shares::delete(&state.store, &me, &share_id)
        .await
        .or_page(&posted.req)?;
    let removed = event(SecurityAction::ShareRemoved, &me, posted.req.ip).about(share_id);
    note(&state, removed).await;
    Ok(posted
        .req
        .redirect(&with_code(&back, "ok", "share_deleted")))
}
