//! The `ai102` command line: parses, then calls the library.

use ai102::auth::{self, password, Email, Role};
use ai102::bank::commands;
use ai102::config::Config;
use ai102::{store, telemetry, Application};
use clap::{Parser, Subcommand};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "ai102", version, about = "AI-102 practice-exam platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service (applies migrations and loads the shipped bank first).
    Serve(Config),
    /// Apply pending database migrations and exit.
    Migrate {
        /// PostgreSQL connection URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// Check, inspect and import question packs.
    Bank {
        #[command(subcommand)]
        command: BankCommand,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Personal API tokens for the JSON API.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Demonstration data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Create synthetic candidates with exam attempts over the last 12 weeks (idempotent).
    Seed {
        /// How many candidates (demo-candidate-<n>@example.invalid).
        #[arg(long, default_value_t = 50)]
        candidates: usize,
        /// Exam attempts per candidate.
        #[arg(long, default_value_t = 4)]
        attempts: usize,
        /// Seed even when the database has accounts that are not demo candidates.
        #[arg(long)]
        force: bool,
        /// Random seed.
        #[arg(long, default_value_t = 102)]
        seed: u64,
        /// PostgreSQL connection URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum BankCommand {
    /// Validate a bank root (every exam, each with its exam.yaml), an exam folder, a pack (file or folder), or a
    /// GIFT, Moodle XML, Aiken, CSV or QTI file, and print every problem and lexicon warning with file, line,
    /// column and item; exit 1 if any problem (or, with --strict, any warning).
    Check {
        /// A bank root (default: question-bank), an exam folder, or a pack file or folder.
        path: Option<PathBuf>,
        /// The exam to check under the bank root: `question-bank/exams/<code lower-cased>`.
        #[arg(long)]
        exam: Option<String>,
        /// Treat lexicon warnings (retired, renamed and deprecated terms) as errors.
        #[arg(long)]
        strict: bool,
        /// The date exam.yaml's status is checked against (YYYY-MM-DD; default: today, UTC).
        #[arg(long)]
        today: Option<String>,
        /// yaml, gift, moodle-xml, aiken, csv or qti (default: found from the file).
        #[arg(long)]
        format: Option<String>,
    },
    /// Count items by domain, objective and type, each domain's share against the blueprint, `mentions` by
    /// term, review ages and the review log; for a bank root, per exam and in total.
    Stats {
        /// A bank root (default: question-bank), an exam folder, or a pack file or folder.
        path: Option<PathBuf>,
        /// The exam under the bank root: `question-bank/exams/<code lower-cased>`.
        #[arg(long)]
        exam: Option<String>,
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
        /// The date review ages are counted to (YYYY-MM-DD; default: today, UTC).
        #[arg(long)]
        today: Option<String>,
    },
    /// Print each exam's status as its dates give it (exit 1 when an exam.yaml states another).
    Status {
        /// A bank root (default: question-bank) or an exam folder.
        path: Option<PathBuf>,
        /// The exam under the bank root.
        #[arg(long)]
        exam: Option<String>,
        /// The date to derive the status on (YYYY-MM-DD; default: today, UTC).
        #[arg(long)]
        today: Option<String>,
    },
    /// The review log of an exam folder (review-log.yaml).
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Check a pack and import it into the database (nothing is imported if it has any problem); a bank root
    /// imports every exam, published, with its exam facts and default forms.
    Import {
        path: PathBuf,
        /// Import as a draft instead of publishing it (files of other formats are always drafts: their items
        /// need a domain and objective first).
        #[arg(long)]
        draft: bool,
        /// yaml, gift, moodle-xml, aiken, csv or qti (default: found from the file).
        #[arg(long)]
        format: Option<String>,
        /// Import only the questions that can be taken, as a draft, when the file has problems (each refused
        /// question is printed); without it, a file with any problem imports nothing.
        #[arg(long)]
        valid_only: bool,
        /// PostgreSQL connection URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// Print the JSON Schema of a pack file.
    Schema,
    /// Write a pack from the database as our YAML, a QTI 3.0 content package (.zip), or for Moodle as GIFT or
    /// Moodle XML (items the format cannot hold are left out, each with a note).
    Export {
        /// The pack's id (e.g. ai102-core).
        pack: String,
        /// yaml, qti3, gift or moodle-xml.
        #[arg(long, default_value = "yaml")]
        format: String,
        /// Where to write it.
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// PostgreSQL connection URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// Fill the empty `hash: ""` fields of the folder's review-log.yaml with the items' current hashes (a
    /// non-empty hash is never changed; only those lines are rewritten).
    Stamp {
        /// The exam folder (question-bank/exams/ai-103).
        dir: PathBuf,
    },
}

/// `--today`, or today's date in UTC.
fn today(arg: Option<&str>) -> anyhow::Result<time::Date> {
    match arg {
        Some(s) => ai102::bank::exam::parse_date(s)
            .ok_or_else(|| anyhow::anyhow!("--today `{s}` is not a date written YYYY-MM-DD")),
        None => Ok(time::OffsetDateTime::now_utc().date()),
    }
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A file in another format than ours (or a zip; or, with `any_file`, any file): read through the upload path.
fn foreign(
    path: &std::path::Path,
    format: Option<&str>,
    any_file: bool,
) -> anyhow::Result<Option<ai102::bank::upload::Upload>> {
    use ai102::bank::import::Format;
    let format = match format {
        Some(f) => Some(Format::parse(f).ok_or_else(|| {
            anyhow::anyhow!("unknown format `{f}`: use yaml, gift, moodle-xml, aiken, csv or qti")
        })?),
        None => None,
    };
    if path.is_dir() {
        return Ok(None);
    }
    let name = path.display().to_string();
    let lower = name.to_ascii_lowercase();
    let native_name =
        lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json");
    if !any_file && (format == Some(Format::Native) || (format.is_none() && native_name)) {
        return Ok(None);
    }
    let meta = std::fs::metadata(path)?;
    if meta.len() > ai102::bank::upload::MAX_UPLOAD_BYTES as u64 {
        anyhow::bail!(
            "{name} is larger than {} MiB",
            ai102::bank::upload::MAX_UPLOAD_BYTES / (1024 * 1024)
        );
    }
    let bytes = std::fs::read(path)?;
    let bp = ai102::packs::blueprint()?;
    Ok(Some(ai102::bank::upload::read_upload(
        &name, &bytes, format, bp,
    )))
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (the password is read from a prompt, or from standard input with --password-stdin).
    Create {
        /// The account's e-mail address.
        #[arg(long)]
        email: String,
        /// candidate, instructor or admin.
        #[arg(long, default_value = "candidate")]
        role: String,
        /// The name shown on results (defaults to the part of the e-mail before @).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// PostgreSQL connection URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for an account and print it (it is shown only once; only its hash is stored).
    Create {
        /// The account's e-mail address.
        #[arg(long)]
        email: String,
        /// What the token is for, as listed on the account page.
        #[arg(long, default_value = "cli")]
        name: String,
        /// PostgreSQL connection URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(config) => {
            let app = Application::build(config).await?;
            let port = app.port();
            tracing::info!("listening on http://127.0.0.1:{port}");
            app.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { database_url } => {
            let db = store::connect(&database_url, 2).await?;
            store::migrate(&db).await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Bank { command } => bank(command).await,
        Command::Demo {
            command:
                DemoCommand::Seed {
                    candidates,
                    attempts,
                    force,
                    seed,
                    database_url,
                },
        } => {
            let db = store::connect(&database_url, 4).await?;
            store::migrate(&db).await?;
            let s = ai102::demo::seed(
                &db,
                ai102::demo::SeedOptions {
                    candidates,
                    attempts,
                    force,
                    seed,
                },
            )
            .await?;
            println!(
                "demo seed: {} candidates created ({} already there), {} attempts ({} abandoned)",
                s.candidates_created, s.candidates_skipped, s.attempts, s.abandoned
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => match command {
            UserCommand::Create {
                email,
                role,
                name,
                password_stdin,
                database_url,
            } => create_user(&database_url, &email, &role, name, password_stdin).await,
        },
        Command::Token {
            command:
                TokenCommand::Create {
                    email,
                    name,
                    database_url,
                },
        } => create_token(&database_url, &email, &name).await,
    }
}

async fn create_user(
    database_url: &str,
    email: &str,
    role: &str,
    name: Option<String>,
    password_stdin: bool,
) -> anyhow::Result<ExitCode> {
    let role = Role::parse(role)?;
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let name = name.unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("user")
            .to_owned()
    });
    let name = auth::check_display_name(&name).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let pw = if password_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Repeat password: ")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        first
    };
    auth::check_new_password(&pw, email.as_str()).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let db = store::connect(database_url, 2).await?;
    store::migrate(&db).await?;
    let hash = password::hash(pw).await?;
    match store::users::create(&db, &email, &name, &hash, role).await? {
        Some(id) => {
            println!("created {} {} ({id})", role.as_str(), email.as_str());
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!(
                "an account with the e-mail {} already exists",
                email.as_str()
            );
            Ok(ExitCode::from(1))
        }
    }
}

async fn create_token(database_url: &str, email: &str, name: &str) -> anyhow::Result<ExitCode> {
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 80,
        "the token's name must have 1 to 80 characters"
    );
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let db = store::connect(database_url, 2).await?;
    store::migrate(&db).await?;
    let Some((user, _)) = store::users::for_sign_in(&db, email.as_str()).await? else {
        eprintln!("no enabled account has the e-mail {}", email.as_str());
        return Ok(ExitCode::from(1));
    };
    // The same shape as the account page's tokens: ai102_ and 64 hex digits.
    let token = format!("ai102_{}", auth::random_secret());
    store::tokens::create(&db, user.id, name, &auth::hash_secret(&token), &token[..12]).await?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

async fn bank(command: BankCommand) -> anyhow::Result<ExitCode> {
    match command {
        BankCommand::Check {
            path,
            exam,
            strict,
            today: on,
            format,
        } => {
            let shown = path
                .clone()
                .unwrap_or_else(|| PathBuf::from(commands::DEFAULT_ROOT));
            if let Some(upload) = foreign(&shown, format.as_deref(), false)? {
                for p in &upload.problems {
                    println!("{p}");
                }
                for n in &upload.notes {
                    println!("note: {n}");
                }
                let questions: usize = upload.items.iter().map(|i| i.questions().len()).sum();
                println!(
                    "{} ({}): {questions} questions readable, {} problem(s)",
                    shown.display(),
                    upload.format.name(),
                    upload.problems.len()
                );
                return Ok(exit(upload.is_clean()));
            }
            let target = commands::resolve(path.as_deref(), exam.as_deref())
                .map_err(|e| anyhow::anyhow!(e))?;
            let (out, ok) = commands::check(&target, strict, today(on.as_deref())?)?;
            print!("{out}");
            Ok(exit(ok))
        }
        BankCommand::Stats {
            path,
            exam,
            json,
            today: on,
        } => {
            let target = commands::resolve(path.as_deref(), exam.as_deref())
                .map_err(|e| anyhow::anyhow!(e))?;
            let (out, ok) = commands::stats(&target, json, today(on.as_deref())?)?;
            print!("{out}");
            Ok(exit(ok))
        }
        BankCommand::Status {
            path,
            exam,
            today: on,
        } => {
            let target = commands::resolve(path.as_deref(), exam.as_deref())
                .map_err(|e| anyhow::anyhow!(e))?;
            let (out, ok) = commands::status(&target, today(on.as_deref())?)?;
            print!("{out}");
            Ok(exit(ok))
        }
        BankCommand::Review {
            command: ReviewCommand::Stamp { dir },
        } => {
            println!("{}", commands::stamp(&dir)?);
            Ok(ExitCode::SUCCESS)
        }
        BankCommand::Import {
            path,
            draft,
            format,
            valid_only,
            database_url,
        } => {
            let db = store::connect(&database_url, 2).await?;
            store::migrate(&db).await?;
            if let Some(upload) = foreign(&path, format.as_deref(), valid_only)? {
                for p in &upload.problems {
                    eprintln!("{p}");
                }
                for n in &upload.notes {
                    eprintln!("note: {n}");
                }
                let clean = upload.is_clean();
                // --valid-only: the questions that can be taken, as `draft_valid` does on the upload page.
                let take_valid = valid_only && !upload.items.is_empty();
                if !clean && !take_valid {
                    eprintln!(
                        "{}: {} problem(s); nothing was imported{}",
                        path.display(),
                        upload.problems.len(),
                        if valid_only {
                            " (no question could be taken)"
                        } else {
                            " (--valid-only imports the questions that can be taken, as a draft)"
                        }
                    );
                    return Ok(ExitCode::from(1));
                }
                if !clean {
                    eprintln!(
                        "{}: {} problem(s), their questions left out; importing the rest as a draft",
                        path.display(),
                        upload.problems.len()
                    );
                }
                let name = path.display().to_string();
                let publish = !draft && clean;
                let s = ai102::packs::import_read(&db, None, &name, upload, publish).await?;
                let status = store::bank::pack_by_id(&db, s.pack_id)
                    .await?
                    .map(|p| p.status);
                println!(
                    "imported {name} ({}): {} added, {} changed, {} unchanged, {} retired{}",
                    status.map_or("gone", store::bank::PackStatus::as_str),
                    s.added,
                    s.changed,
                    s.unchanged,
                    s.retired,
                    if status.is_some_and(store::bank::PackStatus::is_published) || draft {
                        ""
                    } else {
                        "; place its items in the blueprint before publishing"
                    }
                );
                return Ok(ExitCode::SUCCESS);
            }
            if ai102::bank::root::is_root(&path) {
                anyhow::ensure!(
                    !draft,
                    "a bank root is imported published: give an exam's pack folder to import a draft"
                );
                return match store::bank::load_bank(&db, &path).await {
                    Ok(loaded) => {
                        for l in &loaded {
                            let s = &l.summary;
                            println!(
                                "imported {} v{} ({}): {} added, {} changed, {} unchanged, {} retired",
                                l.pack.meta.id,
                                l.pack.meta.version,
                                l.exam.as_ref().map_or("no exam.yaml", |e| e.code.as_str()),
                                s.added,
                                s.changed,
                                s.unchanged,
                                s.retired
                            );
                        }
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => {
                        eprintln!("{e:#}");
                        Ok(ExitCode::from(1))
                    }
                };
            }
            let status = if draft {
                store::bank::PackStatus::Draft
            } else {
                store::bank::PackStatus::Published
            };
            match store::bank::import_path(&db, &path, None, status).await {
                Ok((s, pack)) => {
                    println!(
                        "imported {} v{} ({status}): {} added, {} changed, {} unchanged, {} retired",
                        pack.meta.id, pack.meta.version, s.added, s.changed, s.unchanged, s.retired
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e:#}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        BankCommand::Schema => {
            print!("{}", ai102::bank::schema::item_file_schema_pretty());
            Ok(ExitCode::SUCCESS)
        }
        BankCommand::Export {
            pack,
            format,
            output,
            database_url,
        } => {
            let db = store::connect(&database_url, 2).await?;
            let Some(access) = store::bank::pack_by_key(&db, &pack).await? else {
                eprintln!("no pack with the id `{pack}`");
                return Ok(ExitCode::from(1));
            };
            let Some((p, categories)) = store::bank::load_pack(&db, access.id).await? else {
                eprintln!("no pack with the id `{pack}`");
                return Ok(ExitCode::from(1));
            };
            let bytes = match ai102::bank::export::export_for_moodle(&p, &format) {
                Some(exported) => {
                    for n in &exported.notes {
                        eprintln!("note: {n}");
                    }
                    exported.text.into_bytes()
                }
                None => ai102::packs::export(&p, &format, &categories)
                    .map_err(|e| anyhow::anyhow!("{e} (or, for Moodle, gift or moodle-xml)"))?,
            };
            std::fs::write(&output, bytes)?;
            println!(
                "wrote {} ({format}, {} items) to {}",
                pack,
                p.items.len(),
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
