//! Everything `coproof serve` can be told, each with a flag and an environment variable.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address and port to serve HTTP on.
    #[arg(long, env = "COPROOF_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Folder for the SQLite database, uploaded files and `.eml` mail (created if missing).
    #[arg(long, env = "COPROOF_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST/DB`.
    /// Default: `sqlite://<data-dir>/coproof.db`.
    #[arg(long, env = "COPROOF_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Outgoing mail server, e.g. `smtp://127.0.0.1:2525`, `smtp://user:pass@host:587?tls=required`
    /// or `smtps://user:pass@host`. Without it, mail is written as `.eml` files under
    /// `<data-dir>/mail`.
    #[arg(long, env = "COPROOF_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// The From address of outgoing mail.
    #[arg(
        long,
        env = "COPROOF_MAIL_FROM",
        default_value = "Coproof <coproof@localhost>"
    )]
    pub mail_from: String,

    /// The address people use to reach this server; used in links in e-mails and to mark
    /// session cookies `Secure` when it is https. Default: `http://<listen>`.
    #[arg(long, env = "COPROOF_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Partner requests one account may send per hour.
    #[arg(long, env = "COPROOF_INVITE_LIMIT_PER_HOUR", default_value_t = 100)]
    pub invite_limit_per_hour: u32,

    /// Whether anyone may sign up a new account (`false`: only `coproof account create`).
    #[arg(long, env = "COPROOF_ALLOW_SIGNUP", default_value_t = true, action = clap::ArgAction::Set)]
    pub allow_signup: bool,

    /// Largest JSON request body, in bytes.
    #[arg(long, env = "COPROOF_JSON_LIMIT", default_value_t = 1024 * 1024)]
    pub json_limit: usize,

    /// Largest uploaded file, in bytes (larger uploads are refused with 413).
    #[arg(long, env = "COPROOF_MAX_UPLOAD_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub max_upload_bytes: u64,

    /// Where uploaded files are kept: a local folder (default `<data-dir>/files`, or
    /// `file:///path`) or an existing S3-compatible bucket, `s3://bucket/prefix` (credentials,
    /// region and endpoint from the usual `AWS_*` environment variables).
    #[arg(long, env = "COPROOF_FILE_STORE")]
    pub file_store: Option<String>,

    /// Database connections (readers on SQLite, all on PostgreSQL).
    #[arg(long, env = "COPROOF_DB_CONNECTIONS", default_value_t = 16)]
    pub db_connections: u32,

    /// A streaming read replica of the PostgreSQL database (repeat the flag for several;
    /// comma-separated in the environment variable). `GET` requests read from a replica
    /// that has replayed what their session wrote; see `docs/operations.md`.
    #[arg(
        long = "database-replica-url",
        env = "COPROOF_DATABASE_REPLICA_URLS",
        value_delimiter = ','
    )]
    pub database_replica_urls: Vec<String>,

    /// A direct PostgreSQL connection for `LISTEN` (live pages, identity changes), when
    /// `--database-url` goes through a pooler in transaction mode. Default: the database URL.
    #[arg(long, env = "COPROOF_DATABASE_LISTEN_URL")]
    pub database_listen_url: Option<String>,

    /// How far behind the primary, in milliseconds, a replica may be and still serve reads.
    #[arg(
        long,
        env = "COPROOF_DATABASE_REPLICA_MAX_LAG_MS",
        default_value_t = 1000
    )]
    pub database_replica_max_lag_ms: u64,

    /// Active partners up to which a new user appears on their Contacts pages within the
    /// request that adds it; beyond, a background worker adds it right after, in chunks.
    #[arg(long, env = "COPROOF_CONTACTS_SYNC_LIMIT", default_value_t = coproof_store::DEFAULT_SYNC_FANOUT_LIMIT)]
    pub contacts_sync_limit: u32,

    /// Log format: `pretty` or `json`.
    #[arg(long, env = "COPROOF_LOG_FORMAT", default_value = "pretty")]
    pub log_format: String,

    /// On SIGINT/SIGTERM, how long requests in flight may take to finish, in seconds,
    /// before the server stops anyway.
    #[arg(long, env = "COPROOF_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// Longest wait between two delivery attempts of one e-mail, in seconds.
    #[arg(long, env = "COPROOF_MAIL_RETRY_MAX_SECS", default_value_t = 300)]
    pub mail_retry_max_secs: u64,

    /// Reverse proxies (IP addresses or CIDR ranges, comma-separated) whose
    /// `X-Forwarded-For` names the client. From any other peer the header is ignored and
    /// the client is the socket's address (sign-in throttling counts per client IP).
    #[arg(long, env = "COPROOF_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Days a delivered e-mail stays in the outbox before it is deleted.
    #[arg(long, env = "COPROOF_OUTBOX_RETENTION_DAYS", default_value_t = 30)]
    pub outbox_retention_days: u32,

    /// Sign-ups from one client IP per hour; past it 429 `rate_limited`.
    #[arg(long, env = "COPROOF_SIGNUP_LIMIT_PER_IP", default_value_t = 20)]
    pub signup_limit_per_ip: u32,

    /// Users one account may add per hour.
    #[arg(long, env = "COPROOF_USER_ADD_LIMIT_PER_HOUR", default_value_t = 200)]
    pub user_add_limit_per_hour: u32,

    /// Share notifications one account's users may cause per hour (the same share is
    /// e-mailed at most once a day whatever this says).
    #[arg(long, env = "COPROOF_SHARE_MAIL_LIMIT_PER_HOUR", default_value_t = 500)]
    pub share_mail_limit_per_hour: u32,

    /// E-mails the whole server may queue per hour (counted per process).
    #[arg(long, env = "COPROOF_MAIL_LIMIT_PER_HOUR", default_value_t = 10_000)]
    pub mail_limit_per_hour: u32,

    /// Connections served at once; the next waits to be accepted until one closes.
    #[arg(long, env = "COPROOF_MAX_CONNECTIONS", default_value_t = 2048)]
    pub max_connections: usize,

    /// Seconds a connection may go with nothing read or written (a client stalled in its
    /// headers or body, an idle keep-alive) before it is closed.
    #[arg(long, env = "COPROOF_IDLE_TIMEOUT_SECS", default_value_t = 30)]
    pub idle_timeout_secs: u64,

    /// Seconds a request's head (its line and headers) may take to arrive.
    #[arg(long, env = "COPROOF_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a request may take, its body included (408 past it). Uploads must fit too.
    #[arg(long, env = "COPROOF_REQUEST_TIMEOUT_SECS", default_value_t = 900)]
    pub request_timeout_secs: u64,

    /// Bytes of files one account may keep (trash included, until emptied); past it an
    /// upload is refused with 413 `quota_exceeded` before a byte more is stored.
    #[arg(long, env = "COPROOF_ACCOUNT_QUOTA_BYTES")]
    pub account_quota_bytes: Option<u64>,

    /// When set, `GET /metrics` answers only requests with `Authorization: Bearer <token>`.
    #[arg(long, env = "COPROOF_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Password checks that may wait for a turn (beyond one running per core); past it,
    /// sign-in, sign-up and password changes answer 503 `busy` with `Retry-After`.
    #[arg(long, env = "COPROOF_HASH_QUEUE", default_value_t = 64)]
    pub hash_queue: usize,

    /// Lets webhook endpoints be on loopback, private, link-local or other non-public
    /// addresses (refused with 400 `invalid_url` otherwise, and checked again before each
    /// delivery).
    #[arg(long, env = "COPROOF_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: bool,

    /// The file of the key every webhook endpoint's secret is derived from (32 bytes,
    /// base64). Default `<data-dir>/webhooks.key`, created on first start. Give several
    /// processes on one PostgreSQL database the same file.
    #[arg(long, env = "COPROOF_WEBHOOKS_KEY_FILE")]
    pub webhooks_key_file: Option<PathBuf>,

    /// Longest wait between two delivery attempts of one webhook, in seconds (the first
    /// retry is after 5 s, doubling; a delivery is given up three days after its event).
    #[arg(long, env = "COPROOF_WEBHOOKS_RETRY_MAX_SECS", default_value_t = 21600)]
    pub webhooks_retry_max_secs: u64,
}

/// An IP network, or one address (a network of one).
fn parse_network(raw: &str) -> Result<ipnet::IpNet, String> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{raw:?} is neither an IP address nor a CIDR range"))
}

impl Config {
    /// The configuration `coproof serve` has with no flags and no environment.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Config {
        use clap::Parser;
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            config: Config,
        }
        let mut config = Only::parse_from(["coproof"]).config;
        config.data_dir = data_dir.into();
        config
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("coproof.db").display()))
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    pub fn files_dir(&self) -> PathBuf {
        self.data_dir.join("files")
    }

    pub fn webhooks_key_file(&self) -> PathBuf {
        self.webhooks_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("webhooks.key"))
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url().starts_with("https://")
    }
}
