//! The file store. Objects are named by the file's id only: no name or path from a client
//! ever reaches the file system or the bucket.

use crate::config::Config;
use anyhow::{bail, Context};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::ObjectStore;
use std::sync::Arc;

/// Where files' bytes live.
#[derive(Clone)]
pub struct FileStore {
    pub inner: Arc<dyn ObjectStore>,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
}

impl FileStore {
    /// Removes the bytes of files whose rows were deleted; a failure is logged (nothing
    /// refers to those bytes any more).
    pub async fn remove(&self, keys: Vec<String>) {
        for key in keys {
            if let Err(e) = self.inner.delete(&FileStore::path(&key)).await {
                tracing::warn!(error = %e, key, "could not remove a deleted file's bytes");
            }
        }
    }

    /// The store named by `--file-store`, or `<data-dir>/files`.
    pub fn open(config: &Config) -> anyhow::Result<FileStore> {
        let inner: Arc<dyn ObjectStore> = match config.file_store.as_deref() {
            None | Some("") => local(&config.files_dir())?,
            Some(url) if url.starts_with("s3://") => s3(url, AmazonS3Builder::from_env())?,
            Some(url) if url.starts_with("file://") => {
                local(std::path::Path::new(url.trim_start_matches("file://")))?
            }
            Some(other) => bail!("unsupported --file-store {other:?}: use s3://bucket/prefix"),
        };
        Ok(FileStore {
            inner,
            max_upload_bytes: config.max_upload_bytes,
        })
    }

    /// The bucket (and prefix) of `url`, `s3://bucket/prefix`, reached with the settings
    /// of `builder` (endpoint, credentials, region) instead of the environment's; for tests
    /// and embedding.
    pub fn s3_with(
        url: &str,
        builder: AmazonS3Builder,
        max_upload_bytes: u64,
    ) -> anyhow::Result<FileStore> {
        Ok(FileStore {
            inner: s3(url, builder)?,
            max_upload_bytes,
        })
    }

    /// The object of a file.
    pub fn path(key: &str) -> object_store::path::Path {
        object_store::path::Path::from(key)
    }
}

fn local(dir: &std::path::Path) -> anyhow::Result<Arc<dyn ObjectStore>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(Arc::new(
        LocalFileSystem::new_with_prefix(dir)
            .with_context(|| format!("opening the file store {}", dir.display()))?,
    ))
}

/// `s3://bucket/prefix`: credentials, region and endpoint come from `builder`; for
/// `--file-store`, from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_REGION`, `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, …).
fn s3(url: &str, builder: AmazonS3Builder) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let parsed = url::Url::parse(url).with_context(|| format!("parsing {url:?}"))?;
    let bucket = parsed
        .host_str()
        .filter(|b| !b.is_empty())
        .context("the S3 URL names no bucket")?;
    let store = builder
        .with_bucket_name(bucket)
        .build()
        .context("configuring the S3 file store")?;
    let prefix = parsed.path().trim_matches('/');
    Ok(if prefix.is_empty() {
        Arc::new(store)
    } else {
        Arc::new(PrefixStore::new(store, prefix))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(file_store: Option<&str>) -> (Config, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::with_data_dir(dir.path());
        config.file_store = file_store.map(str::to_string);
        (config, dir)
    }

    #[test]
    fn the_default_store_is_a_local_folder() {
        let (config, _dir) = config(None);
        let store = FileStore::open(&config).unwrap();
        assert!(config.files_dir().is_dir());
        assert_eq!(store.max_upload_bytes, 1024 * 1024 * 1024);
    }

    // Configuration only: no S3 service is reachable here, so nothing is sent.
    #[test]
    fn an_s3_url_configures_a_bucket_and_prefix() {
        let (config, _dir) = config(Some("s3://proofs-bucket/coproof/files"));
        let store = FileStore::open(&config).unwrap();
        assert!(
            store.inner.to_string().contains("coproof/files"),
            "{}",
            store.inner
        );
        let (config, _dir) = self::config(Some("s3://proofs-bucket"));
        let store = FileStore::open(&config).unwrap();
        assert!(
            store.inner.to_string().contains("proofs-bucket"),
            "{}",
            store.inner
        );
        assert!(FileStore::open(&self::config(Some("s3://")).0).is_err());
        assert!(FileStore::open(&self::config(Some("ftp://host/x")).0).is_err());
    }
}
