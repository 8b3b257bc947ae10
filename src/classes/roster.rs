//! PURE: the lines an instructor pastes or uploads to add members in bulk (e-mail addresses, one per line, or a
//! CSV whose rows hold an address), each read to an address or a located problem.

use crate::auth::Email;

/// Most lines one request takes.
pub const MAX_LINES: usize = 1_000;

/// One line of the list, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterLine {
    /// A well-formed address, lower-cased.
    Address { line: usize, email: String },
    /// Not an address: what the line held and why it was refused.
    Malformed {
        line: usize,
        text: String,
        reason: String,
    },
}

impl RosterLine {
    pub fn line(&self) -> usize {
        match self {
            RosterLine::Address { line, .. } | RosterLine::Malformed { line, .. } => *line,
        }
    }
}

/// Why a whole list is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterError {
    Empty,
    TooManyLines(usize),
}

impl std::fmt::Display for RosterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RosterError::Empty => write!(f, "the list is empty: paste e-mail addresses, one per line"),
            RosterError::TooManyLines(n) => write!(
                f,
                "the list has {n} lines: one request takes at most {MAX_LINES}; split it and send the rest after"
            ),
        }
    }
}

/// Reads a list: blank lines are skipped; a CSV row gives the first field with an `@` (a header row without
/// one, such as `name,email`, is skipped when it is the first line); quotes around a field are removed.
pub fn read(text: &str) -> Result<Vec<RosterLine>, RosterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return Err(RosterError::Empty);
    }
    if lines.len() > MAX_LINES {
        return Err(RosterError::TooManyLines(lines.len()));
    }
    let mut out = Vec::with_capacity(lines.len());
    for (n, (line, text)) in lines.into_iter().enumerate() {
        let fields: Vec<&str> = text
            .split([',', ';', '\t'])
            .map(|f| f.trim().trim_matches('"').trim())
            .collect();
        let candidate = fields.iter().find(|f| f.contains('@')).copied();
        let Some(candidate) = candidate else {
            if n == 0 && (fields.len() > 1 || text.eq_ignore_ascii_case("email")) {
                continue; // a header row
            }
            out.push(RosterLine::Malformed {
                line,
                text: text.to_owned(),
                reason: "no e-mail address on this line".into(),
            });
            continue;
        };
        match Email::parse(candidate) {
            Ok(email) => out.push(RosterLine::Address {
                line,
                email: email.as_str().to_owned(),
            }),
            Err(e) => out.push(RosterLine::Malformed {
                line,
                text: text.to_owned(),
                reason: e.message,
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_addresses_are_read_one_per_line_and_lower_cased() {
        let got = read("Ana@Example.com\n\n  bo@example.org \n").unwrap();
        assert_eq!(
            got,
            vec![
                RosterLine::Address {
                    line: 1,
                    email: "ana@example.com".into()
                },
                RosterLine::Address {
                    line: 3,
                    email: "bo@example.org".into()
                },
            ]
        );
    }

    #[test]
    fn a_csv_row_gives_its_address_and_a_header_row_is_skipped() {
        let got = read("name,email\n\"Ana Lee\",\"ana@example.com\"\nBo;bo@example.org\n").unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            RosterLine::Address {
                line: 2,
                email: "ana@example.com".into()
            }
        );
        assert_eq!(got[1].line(), 3);
    }

    #[test]
    fn a_malformed_line_is_reported_with_its_number_and_the_rest_are_read() {
        let got = read("ana@example.com\nnot an address\nbo@@example\n").unwrap();
        assert!(matches!(got[0], RosterLine::Address { .. }));
        assert!(
            matches!(&got[1], RosterLine::Malformed { line: 2, reason, .. } if reason.contains("no e-mail"))
        );
        assert!(matches!(&got[2], RosterLine::Malformed { line: 3, .. }));
    }

    #[test]
    fn more_than_a_thousand_lines_are_refused_whole_and_an_empty_list_too() {
        let many: String = (0..1001).map(|i| format!("p{i}@example.com\n")).collect();
        assert_eq!(read(&many), Err(RosterError::TooManyLines(1001)));
        assert!(RosterError::TooManyLines(1001)
            .to_string()
            .contains("at most 1000"));
        let exactly: String = (0..1000).map(|i| format!("p{i}@example.com\n")).collect();
        assert_eq!(read(&exactly).unwrap().len(), 1000);
        assert_eq!(read(" \n\n"), Err(RosterError::Empty));
    }
}
