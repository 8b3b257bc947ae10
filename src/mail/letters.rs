//! The letters the service sends, as data: a subject, paragraphs and at most one link, rendered to plain text
//! and HTML by the same two askama templates (templates/mail/letter.txt, letter.html). Pure: the links are
//! built by the caller from `PUBLIC_BASE_URL`.

use askama::Template;

/// One message, before rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    /// What it is, for the outbox and the logs (`verify`, `reset`, …).
    pub kind: &'static str,
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    /// The one link the letter is about.
    pub action: Option<Action>,
    /// Paragraphs after the link.
    pub after: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub label: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "mail/letter.txt")]
struct TextBody<'a> {
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/letter.html")]
struct HtmlBody<'a> {
    letter: &'a Letter,
}

impl Letter {
    /// The plain-text and HTML bodies.
    pub fn render(&self) -> Result<(String, String), askama::Error> {
        Ok((
            TextBody { letter: self }.render()?,
            HtmlBody { letter: self }.render()?,
        ))
    }
}

/// A name or address as it may appear in a mail: control characters (line breaks among them) dropped, so
/// nothing a person typed can start a new header or line of its own.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(120).collect()
}

fn hello(name: &str) -> String {
    format!("Hello {},", clean(name))
}

fn letter(kind: &'static str, subject: &str, greeting: String) -> Letter {
    Letter {
        kind,
        subject: clean(subject),
        greeting,
        paragraphs: vec![],
        action: None,
        after: vec![],
    }
}

fn action(label: &str, url: &str) -> Option<Action> {
    Some(Action {
        label: label.to_owned(),
        url: url.to_owned(),
    })
}

const NOT_YOU: &str = "If you did not ask for this, you can ignore this mail: nothing changes.";

/// Confirms the address of a new account (or of an account asked at sign-in).
pub fn verify(name: &str, url: &str) -> Letter {
    Letter {
        paragraphs: vec![
            "Please confirm that this is your e-mail address for AI practice exams.".into(),
        ],
        action: action("Confirm my address", url),
        after: vec![
            format!("The link works once, for {} hours.", super::CONFIRM_HOURS),
            NOT_YOU.into(),
        ],
        ..letter("verify", "Confirm your e-mail address", hello(name))
    }
}

/// Someone signed up with an address that already has an account: its owner is told, instead of the form.
pub fn signup_taken(name: &str, signin_url: &str, reset_url: &str) -> Letter {
    Letter {
        paragraphs: vec![
            "Someone tried to create a new account with this e-mail address, which already has one.".into(),
            "If it was you, sign in instead.".into(),
        ],
        action: action("Sign in", signin_url),
        after: vec![
            format!("Forgot your password? Choose a new one at {reset_url}"),
            NOT_YOU.into(),
        ],
        ..letter("signup_taken", "You already have an account", hello(name))
    }
}

/// A password-reset link.
pub fn reset(name: &str, url: &str) -> Letter {
    Letter {
        paragraphs: vec!["Someone asked to reset the password of your account.".into()],
        action: action("Choose a new password", url),
        after: vec![
            format!(
                "The link works once, for {} minutes. Choosing a new password signs you out everywhere else.",
                super::RESET_MINUTES
            ),
            NOT_YOU.into(),
        ],
        ..letter("reset", "Reset your password", hello(name))
    }
}

/// A reset asked for an address no account uses (the form answers the same either way; the mail tells).
pub fn reset_unknown(signup_url: &str) -> Letter {
    Letter {
        paragraphs: vec![
            "Someone asked to reset the password of an account with this e-mail address, but no account uses it.".into(),
            "If you have an account, you may have signed up with another address.".into(),
        ],
        action: action("Create an account", signup_url),
        after: vec![NOT_YOU.into()],
        ..letter("reset_unknown", "No account uses this address", "Hello,".into())
    }
}

/// To the new address: confirm the change.
pub fn email_change_confirm(name: &str, new_email: &str, url: &str) -> Letter {
    Letter {
        paragraphs: vec![format!(
            "Please confirm that {} is the new e-mail address of your account.",
            clean(new_email)
        )],
        action: action("Confirm the new address", url),
        after: vec![
            format!("The link works once, for {} hours.", super::CONFIRM_HOURS),
            NOT_YOU.into(),
        ],
        ..letter(
            "email_change_confirm",
            "Confirm your new e-mail address",
            hello(name),
        )
    }
}

/// To the old address: a change was asked.
pub fn email_change_asked(name: &str, new_email: &str) -> Letter {
    Letter {
        paragraphs: vec![
            format!(
                "Someone asked to change the e-mail address of your account to {}. The change happens only once \
                 that address confirms it.",
                clean(new_email)
            ),
            "If this was not you, sign in and change your password now.".into(),
        ],
        ..letter("email_change_asked", "A change of your e-mail address was asked", hello(name))
    }
}

/// To the old address: the change is done.
pub fn email_changed(name: &str, new_email: &str) -> Letter {
    Letter {
        paragraphs: vec![
            format!(
                "The e-mail address of your account is now {}. This address no longer signs in.",
                clean(new_email)
            ),
            "If this was not you, contact an admin of this site at once.".into(),
        ],
        ..letter(
            "email_changed",
            "Your e-mail address was changed",
            hello(name),
        )
    }
}

/// To an address that already has an account, when another account asked to move to it.
pub fn email_change_taken() -> Letter {
    Letter {
        paragraphs: vec![
            "Someone asked to move another account to this e-mail address, which already has an account. \
             Nothing was changed."
                .into(),
        ],
        after: vec![NOT_YOU.into()],
        ..letter("email_change_taken", "This address already has an account", "Hello,".into())
    }
}

/// An invitation to join a class.
pub fn invitation(class_name: &str, instructor: &str, exam_code: &str, join_url: &str) -> Letter {
    Letter {
        paragraphs: vec![format!(
            "{} invites you to the class \u{201c}{}\u{201d} to prepare for the {} exam with practice exams.",
            clean(instructor),
            clean(class_name),
            clean(exam_code)
        )],
        action: action("Join the class", join_url),
        after: vec![
            "If you have no account yet, the link lets you create one first.".into(),
            "If you do not know this instructor, you can ignore this mail.".into(),
        ],
        ..letter(
            "invitation",
            &format!("Join the class {}", clean(class_name)),
            "Hello,".into(),
        )
    }
}

/// A reminder that an assignment closes soon.
pub fn reminder(name: &str, class_name: &str, title: &str, closes: &str, url: &str) -> Letter {
    Letter {
        paragraphs: vec![format!(
            "\u{201c}{}\u{201d} in your class \u{201c}{}\u{201d} closes {}, and you have not finished it yet.",
            clean(title),
            clean(class_name),
            clean(closes)
        )],
        action: action("Open your exams", url),
        after: vec![
            "You get this reminder because you asked for it on your account page, where you can turn it off."
                .into(),
        ],
        ..letter(
            "reminder",
            &format!("{} closes soon", clean(title)),
            hello(name),
        )
    }
}

/// The outcome of a problem report.
pub fn report_outcome(name: &str, question: &str, fixed: bool, note: &str, url: &str) -> Letter {
    let outcome = if fixed {
        format!(
            "The question \u{201c}{}\u{201d} you reported was corrected. Thank you.",
            clean(question)
        )
    } else {
        format!(
            "Your report on the question \u{201c}{}\u{201d} was reviewed, and the question was kept as it is.",
            clean(question)
        )
    };
    let mut paragraphs = vec![outcome];
    if !note.trim().is_empty() {
        paragraphs.push(format!("The reviewer wrote: {}", note.trim()));
    }
    Letter {
        paragraphs,
        action: action("Open your exams", url),
        after: vec![
            "You get this mail because you asked for your reports' outcomes on your account page."
                .into(),
        ],
        ..letter(
            "report_outcome",
            "The outcome of your problem report",
            hello(name),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_bodies_carry_the_link_and_the_html_escapes_what_people_typed() {
        let l = invitation(
            "<b>Team</b> & co",
            "Ada",
            "AI-103",
            "https://x.example/join/AB",
        );
        let (text, html) = l.render().unwrap();
        assert!(text.contains("https://x.example/join/AB"), "{text}");
        assert!(text.contains("<b>Team</b> & co"), "{text}");
        assert!(
            html.contains("href=\"https://x.example/join/AB\""),
            "{html}"
        );
        assert!(
            html.contains("&#60;b&#62;Team&#60;/b&#62; &#38; co"),
            "{html}"
        );
        assert!(!html.contains("<b>Team"), "{html}");
    }

    #[test]
    fn a_line_break_in_a_name_never_reaches_a_subject() {
        let l = invitation("Class\r\nBcc: victim@example.com", "x", "AI-103", "u");
        assert!(!l.subject.contains(['\r', '\n']), "{}", l.subject);
        let l = reminder("Ada\nX-Evil: 1", "c", "t\r\n", "tomorrow", "u");
        assert!(!l.greeting.contains('\n') && !l.subject.contains('\n'));
    }

    #[test]
    fn the_reset_letter_says_how_long_the_link_works() {
        let (text, _) = reset("Ada", "https://x.example/account/reset/t")
            .render()
            .unwrap();
        assert!(text.contains("30 minutes"), "{text}");
        assert!(text.contains("https://x.example/account/reset/t"));
    }
}
