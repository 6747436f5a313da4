//! The JSON objects of folders, files, proofs, comments and shares (`spec/api.md`).

use super::dto::{timestamp, Account};
use coproof_core::access::Rights;
use coproof_store::items::{comments, files, folders, proofs, shares};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Folder {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub account_id: String,
    pub created_at: String,
}

impl From<&folders::Folder> for Folder {
    fn from(f: &folders::Folder) -> Folder {
        Folder {
            id: f.id.clone(),
            name: f.name.clone(),
            parent_id: f.parent_id.clone(),
            account_id: f.account_id.clone(),
            created_at: timestamp(f.created_at),
        }
    }
}

/// What the caller may do to an item.
#[derive(Debug, Serialize, ToSchema)]
pub struct RightsDto {
    pub view: bool,
    pub edit: bool,
    pub share: bool,
    pub comment: bool,
    pub decide: bool,
    pub resolve: bool,
}

impl From<Rights> for RightsDto {
    fn from(r: Rights) -> RightsDto {
        RightsDto {
            view: r.view,
            edit: r.edit,
            share: r.share,
            comment: r.comment,
            decide: r.decide,
            resolve: r.resolve,
        }
    }
}

/// A folder with the folders, files and proofs inside it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FolderContents {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub account_id: String,
    pub created_at: String,
    pub folders: Vec<Folder>,
    pub files: Vec<File>,
    pub proofs: Vec<Proof>,
    /// What the caller may do to this folder.
    pub rights: RightsDto,
}

impl From<&folders::FolderView> for FolderContents {
    fn from(v: &folders::FolderView) -> FolderContents {
        let f = Folder::from(&v.folder);
        FolderContents {
            id: f.id,
            name: f.name,
            parent_id: f.parent_id,
            account_id: f.account_id,
            created_at: f.created_at,
            folders: v.folders.iter().map(Folder::from).collect(),
            files: v.files.iter().map(File::from).collect(),
            proofs: v.proofs.iter().map(Proof::from).collect(),
            rights: v.access.rights.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct File {
    pub id: String,
    /// The uploaded name (metadata only).
    pub name: String,
    pub size: i64,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub sha256: String,
    pub folder_id: Option<String>,
    pub account_id: String,
    pub created_at: String,
}

impl From<&files::File> for File {
    fn from(f: &files::File) -> File {
        File {
            id: f.id.clone(),
            name: f.name.clone(),
            size: f.size,
            content_type: f.content_type.clone(),
            sha256: f.sha256.clone(),
            folder_id: f.folder_id.clone(),
            account_id: f.account_id.clone(),
            created_at: timestamp(f.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reviewer {
    pub user_id: String,
    pub name: String,
    /// `read_only`, `reviewer`, `approver`, `reviewer_approver`, `author` or `moderator`.
    pub role: String,
    /// On the current version, for approvers; `null` for roles that do not decide.
    pub decision: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Proof {
    pub id: String,
    pub name: String,
    /// The file of the current version.
    pub file_id: String,
    pub folder_id: Option<String>,
    pub account_id: String,
    /// The worst decision among approvers: `changes_required`, `pending`,
    /// `approved_with_changes`, `approved`; `not_relevant` when all are.
    pub status: String,
    /// The current version, from 1.
    pub version: i64,
    pub reviewers: Vec<Reviewer>,
    pub created_at: String,
}

impl From<&proofs::Proof> for Proof {
    fn from(p: &proofs::Proof) -> Proof {
        Proof {
            id: p.id.clone(),
            name: p.name.clone(),
            file_id: p.file_id.clone(),
            folder_id: p.folder_id.clone(),
            account_id: p.account_id.clone(),
            status: p.status.as_str().to_string(),
            version: p.version,
            reviewers: p
                .reviewers
                .iter()
                .map(|r| Reviewer {
                    user_id: r.user_id.clone(),
                    name: r.name.clone(),
                    role: r.role.as_str().to_string(),
                    decision: r.decision.map(|d| d.as_str().to_string()),
                })
                .collect(),
            created_at: timestamp(p.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentAuthor {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Comment {
    pub id: String,
    pub proof_id: String,
    /// The proof version it was made on.
    pub version: i64,
    /// The comment this one replies to.
    pub parent_id: Option<String>,
    pub author: CommentAuthor,
    pub body: String,
    pub resolved: bool,
    pub created_at: String,
}

impl From<&comments::Comment> for Comment {
    fn from(c: &comments::Comment) -> Comment {
        Comment {
            id: c.id.clone(),
            proof_id: c.proof_id.clone(),
            version: c.version,
            parent_id: c.parent_id.clone(),
            author: CommentAuthor {
                id: c.author_id.clone(),
                name: c.author_name.clone(),
            },
            body: c.body.clone(),
            resolved: c.resolved,
            created_at: timestamp(c.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Share {
    pub id: String,
    /// `folder`, `file` or `proof`.
    pub item_type: String,
    pub item_id: String,
    pub user_id: Option<String>,
    pub account_id: Option<String>,
    /// The proof role; `null` for folders and files.
    pub role: Option<String>,
    pub created_at: String,
    /// The share's target is another account that is no longer an active partner (the
    /// share still works; the owner may remove it).
    pub partnership_ended: bool,
}

impl From<&shares::Share> for Share {
    fn from(s: &shares::Share) -> Share {
        Share {
            id: s.id.clone(),
            item_type: s.item_type.as_str().to_string(),
            item_id: s.item_id.clone(),
            user_id: s.user_id.clone(),
            account_id: s.account_id.clone(),
            role: s.role.map(|r| r.as_str().to_string()),
            created_at: timestamp(s.created_at),
            partnership_ended: s.partnership_ended,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SharedItem {
    /// `folder`, `file` or `proof`.
    pub item_type: String,
    pub item_id: String,
    pub name: String,
    pub owner_account: Account,
}
