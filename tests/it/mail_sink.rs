//! The tests' real SMTP server: tests/mail/smtp_sink.py on aiosmtpd (scripts/smtp.sh installs it into
//! .venv-mail/; `make test` runs that first), one per test, on a free loopback port. What it accepts is read
//! back as [`Mail`]: envelope, headers, text and HTML.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

/// A message the sink accepted.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Mail {
    pub rcpt_tos: Vec<String>,
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub raw: String,
}

impl Mail {
    /// The first link in the text body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let text = self.text.as_deref().expect("a text part");
        let at = text
            .find(prefix)
            .unwrap_or_else(|| panic!("no link starting {prefix} in:\n{text}"));
        text[at..]
            .split_whitespace()
            .next()
            .expect("a link")
            .to_owned()
    }
}

fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv-mail/bin/python");
    assert!(
        python.exists(),
        "the tests' SMTP server is not installed: run scripts/smtp.sh (make test does)"
    );
    python
}

impl SmtpSink {
    /// Starts a sink on a free port (`reject` gets a permanent 550).
    pub fn start(reject: &[&str]) -> SmtpSink {
        Self::start_on(0, reject)
    }

    pub fn start_on(port: u16, reject: &[&str]) -> SmtpSink {
        let dir =
            std::env::temp_dir().join(format!("ai102-mail-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("the sink's folder");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/smtp_sink.py");
        let mut cmd = Command::new(python());
        cmd.arg(script)
            .arg("--dir")
            .arg(&dir)
            .arg("--port")
            .arg(port.to_string())
            .arg("--exit-with-stdin");
        for r in reject {
            cmd.arg("--reject-rcpt").arg(r);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start tests/mail/smtp_sink.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the sink's first line");
        let ready: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("the sink said {line:?}"));
        SmtpSink {
            port: ready["port"].as_u64().expect("port") as u16,
            dir,
            child,
        }
    }

    /// SMTP_URL for the app: plain SMTP on loopback.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far, in order.
    pub fn all(&self) -> Vec<Mail> {
        let mut names: Vec<_> = std::fs::read_dir(&self.dir)
            .expect("the sink's folder")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                serde_json::from_slice(&std::fs::read(p).expect("a mail")).expect("a mail's JSON")
            })
            .collect()
    }

    /// The messages to `to`.
    pub fn to(&self, to: &str) -> Vec<Mail> {
        self.all()
            .into_iter()
            .filter(|m| m.rcpt_tos.iter().any(|r| r.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// Waits (up to 20 s) until `n` messages to `to` arrived, and returns them.
    pub async fn wait_for(&self, to: &str, n: usize) -> Vec<Mail> {
        for _ in 0..200 {
            let got = self.to(to);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{n} mail(s) to {to} did not arrive in 20 s; the sink has: {:?}",
            self.all()
                .iter()
                .map(|m| (&m.rcpt_tos, &m.subject))
                .collect::<Vec<_>>()
        );
    }

    /// The newest message to `to` whose subject contains `subject` (waiting for it).
    pub async fn latest(&self, to: &str, subject: &str) -> Mail {
        for _ in 0..200 {
            if let Some(m) = self
                .to(to)
                .into_iter()
                .rev()
                .find(|m| m.subject.contains(subject))
            {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no mail to {to} about {subject:?} in 20 s; the sink has: {:?}",
            self.all()
                .iter()
                .map(|m| (&m.rcpt_tos, &m.subject))
                .collect::<Vec<_>>()
        );
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A free loopback port (bound, read back, let go).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
