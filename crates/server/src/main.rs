//! `coproof`: the server and its admin commands.

use clap::Parser;
use coproof_core::{name::parse_name, password::check_password, EmailAddress, Language, Profile};
use coproof_server::cli::{AccountCommand, CheckCommand, Cli, Command, Database, UserCommand};
use coproof_server::{app, password::Hasher, App};
use coproof_store::model::NewUser;
use coproof_store::{identity, users, Store, StoreOptions};
use std::process::ExitCode;

/// mimalloc for every allocation of the process, SQLite's included (its `override`
/// feature replaces `malloc` and `free` themselves). A SQLite read allocates on the
/// connection's thread (each column value copied out) and frees on the task's; glibc's
/// arenas turn that into lock contention and consolidation, which cost a Contacts page a
/// large share of its CPU (`docs/performance.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    coproof_server::password::return_hash_memory_to_the_system();
    let cli = Cli::parse();
    let log_format = match &cli.command {
        Command::Serve(config) => config.log_format.clone(),
        _ => "pretty".into(),
    };
    init_logging(&log_format);
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coproof: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(config) => {
            let app = App::build(*config).await?;
            tracing::info!(
                "coproof serving on http://{} (database: {}, mail: {})",
                app.local_addr(),
                app.state().store.backend().name(),
                app.state().config.smtp_url.as_deref().map_or_else(
                    || format!(".eml files in {}", app.state().config.mail_dir().display()),
                    app::redact
                ),
            );
            app.run_until(app::shutdown_signal()).await
        }
        Command::Migrate(database) => {
            let store = open(&database).await?;
            store.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Account(AccountCommand::Create {
            database,
            name,
            email,
            user_name,
            password,
            language,
        }) => {
            let account_name = parse_name("account name", &name)?;
            let owner = NewUser {
                email: EmailAddress::parse(&email)?,
                name: parse_name("name", &user_name)?,
                profile: Profile::BillingAdmin,
                language: Language::parse(&language)
                    .ok_or_else(|| anyhow::anyhow!("language must be en or ko"))?,
                password_hash: {
                    check_password(&password)?;
                    Some(Hasher::new(1, 0).hash(&password).await?)
                },
                // The operator vouches for the address.
                email_verified: true,
            };
            let store = open(&database).await?;
            let (account, user) =
                coproof_store::sign_up::sign_up(&store, &account_name, &owner, None).await?;
            println!(
                "created account {} ({}) with billing admin {}",
                account.name, account.id, user.email
            );
            Ok(())
        }
        Command::User(UserCommand::SetPassword {
            database,
            email,
            password,
        }) => {
            check_password(&password)?;
            let email = EmailAddress::parse(&email)?;
            let hash = Hasher::new(1, 0).hash(&password).await?;
            let store = open(&database).await?;
            let user = users::find_by_email(&store, &email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user has the address {email}"))?;
            let mut tx = store.begin().await?;
            users::set_password_hash(&mut tx, &user.id, &hash).await?;
            tx.commit().await?;
            // A server running on this database sees the ended sessions within
            // `identities::TTL` (its own cache of signed-in identities).
            store.identities_changed();
            println!("password set for {email}; its sessions were ended");
            Ok(())
        }
        Command::User(UserCommand::Verify { database, email }) => {
            let email = EmailAddress::parse(&email)?;
            let store = open(&database).await?;
            let user = users::find_by_email(&store, &email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user has the address {email}"))?;
            identity::vouch(&store, &user.id).await?;
            println!("{email} is verified; partner requests waiting for it have attached");
            Ok(())
        }
        Command::Backup {
            database,
            file_store,
            path,
        } => {
            if path.exists() {
                anyhow::bail!(
                    "{} exists already; a backup goes to a new folder",
                    path.display()
                );
            }
            let store = open(&database).await?;
            std::fs::create_dir_all(&path)?;
            coproof_store::backup::snapshot_into(&store, &path.join("coproof.db")).await?;
            store.close().await;
            // Files after the database: every file the copy names was stored before it
            // (a file is written before its row), and files are never changed in place.
            let files = match file_store.as_deref() {
                Some(url) if url.contains("://") => {
                    println!("files are in {url}: back that bucket up with its own tools");
                    None
                }
                Some(folder) => Some(std::path::PathBuf::from(folder)),
                None => Some(database.data_dir.join("files")),
            };
            let copied = match files {
                Some(from) => copy_tree(&from, &path.join("files"))?,
                None => 0,
            };
            println!(
                "backed up the database and {copied} files to {}",
                path.display()
            );
            Ok(())
        }
        Command::Check(CheckCommand::Contacts { database }) => {
            let store = open(&database).await?;
            coproof_store::contacts::fanout::finish_all(&store).await?;
            let summary = coproof_store::contacts::check::check(&store).await?;
            store.close().await;
            for difference in &summary.differences {
                println!("{difference}");
            }
            println!(
                "checked {} accounts and {} contacts: {} differences",
                summary.accounts,
                summary.contacts,
                summary.differences.len()
            );
            if summary.differences.is_empty() {
                Ok(())
            } else {
                Err(anyhow::anyhow!(
                    "contacts differ from what users and partnerships say"
                ))
            }
        }
    }
}

async fn open(database: &Database) -> anyhow::Result<Store> {
    // The data folder holds the default SQLite file; with a URL given, it is not needed.
    if database.database_url.is_none() {
        std::fs::create_dir_all(&database.data_dir)?;
    }
    Ok(Store::open(&StoreOptions::new(database.url())).await?)
}

/// Copies the folder tree `from` into `to` (made); the number of files copied. A missing
/// `from` is an install with no uploads yet.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<u64> {
    std::fs::create_dir_all(to)?;
    if !from.exists() {
        return Ok(0);
    }
    let mut copied = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copied += copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
            copied += 1;
        }
    }
    Ok(copied)
}
