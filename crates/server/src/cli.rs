//! The command line: `coproof serve` and the admin commands of a self-hosted install.

use crate::config::Config;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "coproof",
    version,
    about = "Coproof: online proofing shared between partner accounts"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the pages and mail delivery until SIGINT or SIGTERM.
    Serve(Box<Config>),
    /// Run the database migrations and exit.
    Migrate(Database),
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Check derived data against its sources; exits non-zero on any difference.
    #[command(subcommand)]
    Check(CheckCommand),
    /// Copy a SQLite install (database and files) into a new folder while the server runs:
    /// the database as it is at one instant, then the uploaded files. Restore by stopping
    /// the server and putting both back (`docs/operations.md`, "Backups").
    Backup {
        #[command(flatten)]
        database: Database,
        /// Where uploaded files are, when not `<data-dir>/files` (`--file-store` of serve).
        #[arg(long, env = "COPROOF_FILE_STORE")]
        file_store: Option<String>,
        /// A folder that does not exist yet; it gets `coproof.db` and `files/`.
        path: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Recompute every account's synced contacts from users and partnerships (and their
    /// history) and report each difference. Run it while the server is quiet: changes
    /// made during the check may show up as differences.
    Contacts {
        #[command(flatten)]
        database: Database,
    },
}

/// Where the database is, for the commands that only need that.
#[derive(Debug, Clone, Args)]
pub struct Database {
    /// Folder of the default SQLite database.
    #[arg(long, env = "COPROOF_DATA_DIR", default_value = "./data")]
    pub data_dir: std::path::PathBuf,
    /// Database URL (`sqlite://…` or `postgres://…`); default `sqlite://<data-dir>/coproof.db`.
    #[arg(long, env = "COPROOF_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl Database {
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("coproof.db").display()))
    }
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account with its first user (a billing admin), even when sign-up is off.
    Create {
        #[command(flatten)]
        database: Database,
        /// The account's name.
        #[arg(long)]
        name: String,
        /// The first user's e-mail address.
        #[arg(long)]
        email: String,
        /// The first user's name.
        #[arg(long = "user-name")]
        user_name: String,
        /// The password; read from `COPROOF_PASSWORD` when not given.
        #[arg(long, env = "COPROOF_PASSWORD", hide_env_values = true)]
        password: String,
        /// `en` or `ko`.
        #[arg(long, default_value = "en")]
        language: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Set a user's password (and end its sessions).
    SetPassword {
        #[command(flatten)]
        database: Database,
        /// The user's e-mail address.
        #[arg(long)]
        email: String,
        /// The new password; read from `COPROOF_PASSWORD` when not given.
        #[arg(long, env = "COPROOF_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Mark a user's address as verified without the e-mailed link (the operator vouches
    /// for it); partner requests waiting for the address attach.
    Verify {
        #[command(flatten)]
        database: Database,
        /// The user's e-mail address.
        #[arg(long)]
        email: String,
    },
}
