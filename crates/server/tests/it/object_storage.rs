//! Files' bytes on a real S3-compatible server (Moto in server mode: `.ci/s3`, named by
//! `COPROOF_TEST_S3`), each test with its own bucket: uploads small, multipart and empty
//! come back byte for byte, ranges, the size limit, emptying the trash removes objects,
//! and no way of abandoning an upload (a refused row, a client gone, a request timed out, a
//! server killed) leaves an object behind or an incomplete multipart upload open.
//!
//! The bucket is looked at directly over S3's HTTP API (Moto checks no signature), not
//! through the server's own store: `ListObjectsV2` for objects, `ListMultipartUploads`
//! for uploads begun and neither completed nor aborted.

use crate::on_both_backends;
use crate::support::items::{folder, id};
use crate::support::prerequisites::require_s3;
use crate::support::{code, eventually, process, secs, Backend, Client, TestApp};
use coproof_server::files::FileStore;
use object_store::aws::AmazonS3Builder;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::AsyncWriteExt;

const MIB: usize = 1024 * 1024;
/// Where the server keeps files inside each test's bucket (exercises the prefix).
const PREFIX: &str = "files";

static BUCKETS: AtomicUsize = AtomicUsize::new(0);

/// A fresh bucket on the test S3 server.
struct Bucket {
    endpoint: String,
    name: String,
    http: reqwest::Client,
}

impl Bucket {
    /// A new, empty bucket; `None` (after "skipped") without a server, see [`require_s3`].
    async fn new() -> Option<Bucket> {
        let endpoint = require_s3()?;
        let name = format!(
            "coproof-t-{}-{}-{}",
            std::process::id(),
            BUCKETS.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros() % 1_000_000_000
        );
        let http = reqwest::Client::new();
        let made = http
            .put(format!("{endpoint}/{name}"))
            .send()
            .await
            .expect("the S3 server answers");
        assert!(made.status().is_success(), "create bucket {name}: {made:?}");
        Some(Bucket {
            endpoint,
            name,
            http,
        })
    }

    /// `--file-store` for this bucket.
    fn url(&self) -> String {
        format!("s3://{}/{PREFIX}", self.name)
    }

    /// The server's file store on this bucket, configured in code as the `AWS_*`
    /// variables would (Moto takes any credentials).
    fn store(&self, max_upload_bytes: u64) -> FileStore {
        let builder = AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_access_key_id("test")
            .with_secret_access_key("test");
        FileStore::s3_with(&self.url(), builder, max_upload_bytes).expect("an S3 file store")
    }

    /// The environment a `coproof serve` process needs for this bucket.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ]
    }

    async fn list(&self, query: &str) -> String {
        let response = self
            .http
            .get(format!("{}/{}?{query}", self.endpoint, self.name))
            .send()
            .await
            .expect("the S3 server answers");
        assert!(response.status().is_success(), "{query}: {response:?}");
        response.text().await.unwrap()
    }

    /// The completed objects: key and size, sorted by key.
    async fn objects(&self) -> Vec<(String, u64)> {
        let xml = self.list("list-type=2").await;
        assert!(
            xml.contains("<IsTruncated>false</IsTruncated>"),
            "one page: {xml}"
        );
        let mut found: Vec<(String, u64)> = xml
            .split("<Contents>")
            .skip(1)
            .map(|c| {
                let size = element(c, "Size").parse().expect("a size");
                (element(c, "Key"), size)
            })
            .collect();
        found.sort();
        found
    }

    /// The keys of multipart uploads begun and neither completed nor aborted.
    async fn open_uploads(&self) -> Vec<String> {
        let xml = self.list("uploads").await;
        xml.split("<Upload>")
            .skip(1)
            .map(|u| element(u, "Key"))
            .collect()
    }

    /// Waits until nothing is left: no object and no open upload.
    async fn is_left_empty(&self, what: &str) {
        self.is_left_with(what, &[]).await;
    }

    /// Waits until the objects are those of `files` and no upload is open.
    async fn is_left_with(&self, what: &str, files: &[&str]) {
        let mut keys: Vec<String> = files.iter().map(|f| key(f)).collect();
        keys.sort();
        eventually(what, secs(30), || async {
            let objects: Vec<String> = self.objects().await.into_iter().map(|(k, _)| k).collect();
            let uploads = self.open_uploads().await;
            if objects == keys && uploads.is_empty() {
                Ok(())
            } else {
                Err(format!("objects {objects:?}, open uploads {uploads:?}"))
            }
        })
        .await;
    }

    /// Waits until an upload is under way in the bucket (the server is streaming a body).
    async fn upload_under_way(&self) {
        eventually("a multipart upload under way", secs(30), || async {
            !self.open_uploads().await.is_empty()
        })
        .await;
    }
}

/// The text of the first `<name>` element in `xml`.
fn element(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    xml.split_once(&open)
        .and_then(|(_, rest)| rest.split_once(&close))
        .map(|(text, _)| text.to_string())
        .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
}

/// `len` bytes that look like nothing in particular (a fixed pseudo-random sequence).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// The object of a file.
fn key(file_id: &str) -> String {
    format!("{PREFIX}/{file_id}")
}

/// Uploads a multipart form of `parts` (text fields and files, in that order) as `client`.
async fn post_form(
    base: &str,
    client: &Client,
    form: reqwest::multipart::Form,
) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/files"))
        .bearer_auth(client.token.clone().expect("a token"))
        .multipart(form)
        .send()
        .await
        .expect("the upload reaches the server");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn file_part(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("application/octet-stream")
        .unwrap()
}

/// Uploads `bytes` into `folder`, asserting 201; the file's metadata.
async fn upload(base: &str, client: &Client, folder: &str, name: &str, bytes: Vec<u8>) -> Value {
    let form = reqwest::multipart::Form::new()
        .text("folder_id", folder.to_string())
        .part("file", file_part(name, bytes));
    let (status, body) = post_form(base, client, form).await;
    assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
    body
}

/// A file's bytes (with a `Range` header when given): status, headers and body.
async fn download(
    base: &str,
    client: &Client,
    file: &str,
    range: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = reqwest::Client::new()
        .get(format!("{base}/api/v1/files/{file}/content"))
        .bearer_auth(client.token.clone().expect("a token"));
    if let Some(range) = range {
        request = request.header("range", range);
    }
    let response = request
        .send()
        .await
        .expect("the download reaches the server");
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// The files listed in `folder`.
async fn listed(client: &Client, folder: &str) -> Vec<Value> {
    let (status, body) = client.get(&format!("/api/v1/folders/{folder}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["files"].as_array().cloned().unwrap_or_default()
}

/// An upload written by hand on a raw connection: a form with `folder_id` and a file of
/// `declared` bytes, of which only the first `sent` are sent; the rest is held back.
async fn partial_upload(
    base: &str,
    client: &Client,
    folder: &str,
    declared: usize,
    sent: usize,
) -> tokio::net::TcpStream {
    let boundary = "coproof-partial-upload";
    let start = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"folder_id\"\r\n\r\n{folder}\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"half.bin\"\r\n\
         content-type: application/octet-stream\r\n\r\n"
    );
    let end = format!("\r\n--{boundary}--\r\n");
    let length = start.len() + declared + end.len();
    let addr = base.trim_start_matches("http://");
    let head = format!(
        "POST /api/v1/files HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {}\r\n\
         content-type: multipart/form-data; boundary={boundary}\r\ncontent-length: {length}\r\n\
         connection: close\r\n\r\n",
        client.token.clone().expect("a token")
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(start.as_bytes()).await.unwrap();
    stream.write_all(&noise(sent, 7)).await.unwrap();
    stream
}

// ---- scenarios, in process ----

/// A small file, one of 11 MiB (three parts of a multipart upload) and an empty one are
/// stored as one object each, under the file's id, and come back byte for byte; ranges
/// (one across a part boundary, a suffix) come back 206 with their bytes, past the end 416.
async fn uploads_and_downloads_go_through_the_bucket(backend: Backend) {
    let Some(bucket) = Bucket::new().await else {
        return;
    };
    let app = TestApp::start_on_files(backend, bucket.store(1 << 30), |_| {}).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let f = folder(&ann, "Jobs", None).await;
    let small = b"%PDF-1.4 a small proof".to_vec();
    let large = noise(11 * MIB, 42);
    let mut made = Vec::new();
    for (name, bytes) in [
        ("small.pdf", small.clone()),
        ("large.bin", large.clone()),
        ("empty.txt", Vec::new()),
    ] {
        let body = upload(&app.base, &ann, &f, name, bytes.clone()).await;
        assert_eq!(body["size"], json!(bytes.len()), "{body}");
        made.push((id(&body), bytes));
    }
    let mut expected: Vec<(String, u64)> = made
        .iter()
        .map(|(file, bytes)| (key(file), bytes.len() as u64))
        .collect();
    expected.sort();
    assert_eq!(bucket.objects().await, expected, "one object per file");
    assert_eq!(bucket.open_uploads().await, Vec::<String>::new());
    for (file, bytes) in &made {
        let (status, _, got) = download(&app.base, &ann, file, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            got == *bytes,
            "{file}: {} bytes back for {}",
            got.len(),
            bytes.len()
        );
    }

    let large_id = &made[1].0;
    let size = large.len();
    let boundary = 5 * MIB;
    let (status, headers, got) = download(
        &app.base,
        &ann,
        large_id,
        Some(&format!("bytes={}-{}", boundary - 10, boundary + 9)),
    )
    .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers["content-range"],
        format!("bytes {}-{}/{size}", boundary - 10, boundary + 9).as_str()
    );
    assert_eq!(got, large[boundary - 10..boundary + 10]);
    let (status, _, got) = download(&app.base, &ann, large_id, Some("bytes=-100")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(got, large[size - 100..]);
    let (status, headers, _) =
        download(&app.base, &ann, large_id, Some(&format!("bytes={size}-"))).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(headers["content-range"], format!("bytes */{size}").as_str());
}

/// Past `--max-upload-bytes` and past what is left of the account's quota (each after a
/// part went to the bucket): 413, and neither an object nor an open upload stays behind.
async fn refused_sizes_leave_nothing_in_the_bucket(backend: Backend) {
    let Some(bucket) = Bucket::new().await else {
        return;
    };
    let limit = 6 * MIB as u64;
    let app = TestApp::start_on_files(backend, bucket.store(limit), |c| {
        c.max_upload_bytes = limit;
        c.account_quota_bytes = Some(10 * MIB as u64);
    })
    .await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let f = folder(&ann, "Jobs", None).await;
    let form = reqwest::multipart::Form::new()
        .text("folder_id", f.clone())
        .part("file", file_part("huge.bin", noise(12 * MIB, 1)));
    let (status, body) = post_form(&app.base, &ann, form).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(code(&body), "payload_too_large", "{body}");
    bucket
        .is_left_empty("nothing after a too-large upload")
        .await;

    // 5 MiB of the 10 used; 5.5 MiB more is within the size limit, past the quota.
    let fill = id(&upload(&app.base, &ann, &f, "fill.bin", noise(5 * MIB, 2)).await);
    let form = reqwest::multipart::Form::new()
        .text("folder_id", f.clone())
        .part("file", file_part("over-quota.bin", noise(11 * MIB / 2, 3)));
    let (status, body) = post_form(&app.base, &ann, form).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(code(&body), "quota_exceeded", "{body}");
    bucket
        .is_left_with("only the first file after an upload over quota", &[&fill])
        .await;
    assert_eq!(listed(&ann, &f).await.len(), 1, "one row");
}

/// A folder in the trash keeps its files' objects (it can be restored); emptying the trash
/// deletes them, and only them.
async fn emptying_the_trash_deletes_the_objects(backend: Backend) {
    let Some(bucket) = Bucket::new().await else {
        return;
    };
    let app = TestApp::start_on_files(backend, bucket.store(1 << 30), |_| {}).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kept = folder(&ann, "Kept", None).await;
    let doomed = folder(&ann, "Doomed", None).await;
    let inner = folder(&ann, "Inner", Some(&doomed)).await;
    let stays = id(&upload(&app.base, &ann, &kept, "stays.bin", noise(1000, 3)).await);
    let gone_a = id(&upload(&app.base, &ann, &doomed, "a.bin", noise(2000, 4)).await);
    let gone_b = id(&upload(&app.base, &ann, &inner, "b.bin", noise(6 * MIB, 5)).await);
    let keys = |files: &[&String]| {
        let mut keys: Vec<String> = files.iter().map(|f| key(f)).collect();
        keys.sort();
        keys
    };
    let now = || async {
        bucket
            .objects()
            .await
            .into_iter()
            .map(|(k, _)| k)
            .collect::<Vec<_>>()
    };
    assert_eq!(now().await, keys(&[&stays, &gone_a, &gone_b]));

    let (status, body) = ann.delete(&format!("/api/v1/folders/{doomed}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        now().await,
        keys(&[&stays, &gone_a, &gone_b]),
        "the trash keeps the bytes"
    );
    let (status, body) = ann.delete("/api/v1/trash").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        now().await,
        keys(&[&stays]),
        "emptied: only the kept file's object"
    );
    let (status, _, got) = download(&app.base, &ann, &stays, None).await;
    assert_eq!((status, got), (StatusCode::OK, noise(1000, 3)));
}

/// The bytes are stored before the row: a form whose row is then refused (a `folder_id`
/// after the file names no folder; a second file) leaves no object behind.
async fn a_refused_row_deletes_its_object(backend: Backend) {
    let Some(bucket) = Bucket::new().await else {
        return;
    };
    let app = TestApp::start_on_files(backend, bucket.store(1 << 30), |_| {}).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let f = folder(&ann, "Jobs", None).await;

    let form = reqwest::multipart::Form::new()
        .part("file", file_part("first.bin", noise(6 * MIB, 6)))
        .text("folder_id", "no-such-folder");
    let (status, body) = post_form(&app.base, &ann, form).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    bucket
        .is_left_empty("no object after a refused folder")
        .await;

    let form = reqwest::multipart::Form::new()
        .text("folder_id", f.clone())
        .part("file", file_part("one.bin", noise(1000, 7)))
        .part("file", file_part("two.bin", noise(1000, 8)));
    let (status, body) = post_form(&app.base, &ann, form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    bucket
        .is_left_empty("no object after a refused second file")
        .await;
    assert!(listed(&ann, &f).await.is_empty(), "no row");
}

/// A client that goes away half-way through its file (7 of 12 MiB sent: a part goes to
/// the bucket): the multipart upload is aborted, no object and no row. (Here the handler
/// sees the body end early and aborts; were its future dropped instead, `Pending` in
/// `files/upload.rs` aborts it, as in the timeout below.)
async fn a_client_gone_mid_upload_leaves_nothing(backend: Backend) {
    let Some(bucket) = Bucket::new().await else {
        return;
    };
    let app = TestApp::start_on_files(backend, bucket.store(1 << 30), |_| {}).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let f = folder(&ann, "Jobs", None).await;
    let stream = partial_upload(&app.base, &ann, &f, 12 * MIB, 7 * MIB).await;
    bucket.upload_under_way().await;
    drop(stream);
    bucket.is_left_empty("the abandoned upload aborted").await;
    assert!(listed(&ann, &f).await.is_empty(), "no row");
    // The server goes on taking files.
    upload(&app.base, &ann, &f, "after.bin", noise(100, 9)).await;
    assert_eq!(bucket.objects().await.len(), 1);
}

/// A body that stalls past `--request-timeout-secs`: 408, the multipart upload is aborted
/// (the timeout drops the handler mid-stream), no object and no row.
async fn an_upload_timed_out_leaves_nothing(backend: Backend) {
    let Some(bucket) = Bucket::new().await else {
        return;
    };
    let app = TestApp::start_on_files(backend, bucket.store(1 << 30), |c| {
        c.request_timeout_secs = 4;
        c.idle_timeout_secs = 60;
    })
    .await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let f = folder(&ann, "Jobs", None).await;
    let mut stream = partial_upload(&app.base, &ann, &f, 12 * MIB, 7 * MIB).await;
    bucket.upload_under_way().await;
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut answer),
    )
    .await
    .expect("an answer within 30 s")
    .expect("read the answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    bucket.is_left_empty("the timed-out upload aborted").await;
    assert!(listed(&ann, &f).await.is_empty(), "no row");
}

on_both_backends!(
    uploads_and_downloads_go_through_the_bucket,
    refused_sizes_leave_nothing_in_the_bucket,
    emptying_the_trash_deletes_the_objects,
    a_refused_row_deletes_its_object,
    a_client_gone_mid_upload_leaves_nothing,
    an_upload_timed_out_leaves_nothing,
);

// ---- kill -9 of a `coproof serve` process ----

/// Starts `coproof serve` on `data` with its files in `bucket` (`--file-store` and the
/// `AWS_*` variables, as an operator would); waits until it answers.
async fn serve(data: &std::path::Path, bucket: &Bucket) -> (std::process::Child, String) {
    process::serve(data, &["--file-store", &bucket.url()], &bucket.env()).await
}

/// `kill -9` of the server while a file streams into the bucket: after a restart the file
/// is not listed and has no object, only an incomplete multipart upload (for the bucket's
/// lifecycle rule, `docs/operations.md`); the server takes and serves files again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_leaves_no_half_file() {
    let Some(bucket) = Bucket::new().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut child, base) = serve(&data, &bucket).await;
    let anon = Client::new(&base, None);
    let (status, body) = anon
        .post(
            "/api/v1/signup",
            json!({"account_name": "Agency", "name": "Ann", "email": "ann@agency.example",
                   "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ann = Client::signed_in(&base, &body);
    let f = folder(&ann, "Jobs", None).await;
    let done = id(&upload(&base, &ann, &f, "done.bin", noise(3000, 10)).await);

    let stream = partial_upload(&base, &ann, &f, 12 * MIB, 7 * MIB).await;
    bucket.upload_under_way().await;
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stream);

    let (mut child, base) = serve(&data, &bucket).await;
    let ann = ann.via(&base);
    let names: Vec<String> = listed(&ann, &f)
        .await
        .iter()
        .map(|file| file["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, vec!["done.bin"], "only the finished file is listed");
    let objects: Vec<String> = bucket.objects().await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(objects, vec![key(&done)], "no object of the half file");
    // Nothing aborts the killed process's multipart upload: it stays open, invisible, until
    // the bucket's lifecycle rule removes it (and shows the kill came mid-upload).
    let open = bucket.open_uploads().await;
    assert_eq!(open.len(), 1, "the killed upload is left open: {open:?}");
    assert_ne!(open[0], key(&done));

    let again = noise(6 * MIB, 11);
    let after = id(&upload(&base, &ann, &f, "after.bin", again.clone()).await);
    let (status, _, got) = download(&base, &ann, &after, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        got == again,
        "the file uploaded after the restart comes back"
    );
    let (status, _, got) = download(&base, &ann, &done, None).await;
    assert_eq!((status, got), (StatusCode::OK, noise(3000, 10)));
    let _ = child.kill();
    let _ = child.wait();
}
