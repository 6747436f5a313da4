//! A request written by hand on a raw connection, its body held back, that knows when it
//! reached the server's handler: the head goes with `Expect: 100-continue`, and the server
//! (hyper) answers "100 Continue" when something first reads the body, i.e. once the
//! connection was accepted and the request is being handled. A test that stops the server
//! "while a request is in flight" waits for that instead of sleeping and hoping.

use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// How long the server may take to start handling a request.
const REACH: Duration = Duration::from_secs(30);

pub struct SlowRequest {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl SlowRequest {
    /// Sends the head of a `method` request to `path` of `base` (`http://host:port`) with a
    /// JSON body of `length` bytes still to come, and waits until the server reads the body.
    pub async fn reach_handler(base: &str, method: &str, path: &str, length: usize) -> SlowRequest {
        let addr = base.trim_start_matches("http://");
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connect to the server");
        let (read, mut writer) = stream.into_split();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
             content-length: {length}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n"
        );
        writer
            .write_all(head.as_bytes())
            .await
            .expect("send the head");
        let mut reader = BufReader::new(read);
        let mut status = String::new();
        tokio::time::timeout(REACH, reader.read_line(&mut status))
            .await
            .unwrap_or_else(|_| panic!("{method} {path} did not reach its handler in {REACH:?}"))
            .expect("read the interim answer");
        assert!(
            status.starts_with("HTTP/1.1 100"),
            "{method} {path}: the server answered {status:?} before the body was sent"
        );
        let mut blank = String::new();
        reader
            .read_line(&mut blank)
            .await
            .expect("read the interim answer");
        assert_eq!(blank, "\r\n", "the end of the 100 Continue answer");
        SlowRequest { reader, writer }
    }

    /// Sends more of the body.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("send the body");
    }

    /// The answer: its status and JSON body (`Null` when not JSON), read until the server
    /// closes the connection (up to `REACH`).
    pub async fn answer(mut self) -> (StatusCode, Value) {
        let mut raw = Vec::new();
        tokio::time::timeout(REACH, self.reader.read_to_end(&mut raw))
            .await
            .expect("the answer within the time")
            .expect("read the answer");
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("not an HTTP answer: {raw:?}"));
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head:?}"));
        let chunked = head.lines().any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("transfer-encoding:") && l.contains("chunked")
        });
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_string()
        };
        (
            StatusCode::from_u16(status).expect("a status code"),
            serde_json::from_str(&body).unwrap_or(Value::Null),
        )
    }
}

/// The data of a chunked body.
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}
