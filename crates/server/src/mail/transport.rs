//! Where mail goes: an SMTP server (lettre), or `.eml` files in a folder.

use super::templates::Rendered;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Writes each message as `<id>.eml` in this folder.
    Files(PathBuf),
}

impl Transport {
    /// SMTP when `smtp_url` is given, files otherwise.
    pub fn new(smtp_url: Option<&str>, mail_dir: PathBuf) -> anyhow::Result<Transport> {
        match smtp_url {
            None => Ok(Transport::Files(mail_dir)),
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP URL {url:?}: {e}"))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build();
                Ok(Transport::Smtp(transport))
            }
        }
    }

    /// Delivers one message; `Ok` only once the server (or the file system) took it.
    pub async fn deliver(&self, message: &Message, id: &str) -> anyhow::Result<()> {
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(message.clone()).await?;
                Ok(())
            }
            Transport::Files(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let final_path = dir.join(format!("{id}.eml"));
                let temp_path = dir.join(format!(".{id}.eml.tmp"));
                tokio::fs::write(&temp_path, message.formatted()).await?;
                let file = tokio::fs::File::open(&temp_path).await?;
                file.sync_all().await?;
                tokio::fs::rename(&temp_path, &final_path).await?;
                Ok(())
            }
        }
    }

    /// Makes what [`Transport::deliver`] handed over durable where delivering alone did
    /// not: for files, the folder's entries (each message's rename), one fsync for a
    /// whole batch. SMTP servers took each message already.
    pub async fn settle(&self) -> anyhow::Result<()> {
        match self {
            Transport::Smtp(_) => Ok(()),
            Transport::Files(dir) => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
                    .await??;
                Ok(())
            }
        }
    }
}

/// Builds the MIME message. The Message-ID is derived from the outbox id, so a message
/// delivered twice after a crash can be recognized as one.
pub fn build_message(
    from: &str,
    to: &str,
    rendered: &Rendered,
    id: &str,
    host: &str,
) -> anyhow::Result<Message> {
    let from: Mailbox = from.parse()?;
    let to: Mailbox = to.parse()?;
    Ok(Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(format!("<{id}@{host}>")))
        .header(ContentType::TEXT_PLAIN)
        .body(rendered.body.clone())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settling_files_syncs_their_folder() {
        let dir = tempfile::tempdir().unwrap();
        let files = Transport::Files(dir.path().to_path_buf());
        files.settle().await.unwrap();
        let gone = Transport::Files(dir.path().join("gone"));
        assert!(gone.settle().await.is_err(), "a folder that is not there");
    }
}
