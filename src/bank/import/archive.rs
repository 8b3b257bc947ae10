//! Safe unzipping in memory for uploaded packages (QTI content packages): bounded entry count, total size and
//! compression ratio, checked while inflating, and no entry that could leave the archive or is a link.

use super::problem;
use super::Problem;
use std::io::{Cursor, Read};

/// Limits on what an archive may expand to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// Most entries (files and folders) an archive may hold.
    pub max_entries: usize,
    /// Most bytes all entries may inflate to, together.
    pub max_total: u64,
    /// Most bytes one entry may inflate to per byte stored (a zip bomb's ratio is in the thousands).
    pub max_ratio: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_entries: 20_000,
            max_total: 64 * 1024 * 1024,
            max_ratio: 200,
        }
    }
}

/// Reads every file of a zip archive into memory, in archive order, as (path inside the archive, bytes).
/// Folders are skipped. Sizes are enforced on the bytes actually inflated, never on the sizes the headers
/// declare.
///
/// # Errors
/// One located problem (line 1, column 1 of `file`) for the first entry or limit that is refused: an unreadable
/// archive, too many entries, an entry that leaves the archive (`..`, an absolute path, a drive letter), a
/// symbolic link, an entry inflating past the ratio or the archive past its total.
pub fn read_zip(
    file: &str,
    bytes: &[u8],
    limits: &ZipLimits,
) -> Result<Vec<(String, Vec<u8>)>, Problem> {
    let refuse = |message: String| problem(file, 1, 1, None, message);
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| refuse(format!("not a readable zip archive: {e}")))?;
    if archive.len() > limits.max_entries {
        return Err(refuse(format!(
            "the archive has {} entries, more than the {} allowed: refused",
            archive.len(),
            limits.max_entries
        )));
    }
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index(index)
            .map_err(|e| refuse(format!("zip entry {} is unreadable: {e}", index + 1)))?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if let Some(why) = unsafe_name(&name) {
            return Err(refuse(format!("zip entry `{name}` {why}: refused")));
        }
        if entry.is_symlink() {
            return Err(refuse(format!(
                "zip entry `{name}` is a symbolic link: refused"
            )));
        }
        if entry.is_dir() {
            continue;
        }
        // The ratio is per stored byte, with a floor so that tiny, legitimately compressible files pass.
        let stored = entry.compressed_size().max(1024);
        let entry_cap = stored.saturating_mul(limits.max_ratio);
        let left = limits.max_total.saturating_sub(total);
        let cap = entry_cap.min(left);
        let mut data = Vec::new();
        // One byte over the cap tells a file that is exactly at the cap from one that is over it.
        entry
            .take(cap.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| refuse(format!("zip entry `{name}` is unreadable: {e}")))?;
        let read = u64::try_from(data.len()).unwrap_or(u64::MAX);
        if read > cap {
            let message = if cap == entry_cap {
                format!(
                    "zip entry `{name}` inflates more than {}:1 (a zip bomb?): refused",
                    limits.max_ratio
                )
            } else {
                format!(
                    "the archive inflates past {} bytes at entry `{name}`: refused",
                    limits.max_total
                )
            };
            return Err(refuse(message));
        }
        total += read;
        out.push((name, data));
    }
    Ok(out)
}

/// Why an entry's name could leave the folder it is unpacked in, if it could.
fn unsafe_name(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if name.starts_with('/') || name.starts_with('\\') {
        return Some("has an absolute path");
    }
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Some("names a drive");
    }
    if name.contains('\0') {
        return Some("has a NUL byte in its name");
    }
    if name.split(['/', '\\']).any(|part| part == "..") {
        return Some("leaves the archive");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in files {
            writer.start_file(*name, options).expect("start");
            writer.write_all(data).expect("write");
        }
        writer.finish().expect("finish").into_inner()
    }

    #[test]
    fn a_plain_archive_is_read_in_order() {
        let bytes = zip_of(&[
            ("imsmanifest.xml", b"<manifest/>"),
            ("items/a.xml", b"<a/>"),
        ]);
        let entries = read_zip("p.zip", &bytes, &ZipLimits::default()).expect("readable");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].0, "imsmanifest.xml");
        assert_eq!(entries[1].1, b"<a/>");
    }

    #[test]
    fn an_entry_climbing_out_with_dot_dot_is_refused() {
        let bytes = zip_of(&[("ok.xml", b"<a/>"), ("../x", b"evil")]);
        let err = read_zip("p.zip", &bytes, &ZipLimits::default()).expect_err("refused");
        assert_eq!(err.message, "zip entry `../x` leaves the archive: refused");
        assert_eq!((err.file.as_str(), err.line), ("p.zip", 1));
    }

    #[test]
    fn absolute_and_drive_paths_are_refused() {
        assert_eq!(unsafe_name("/etc/passwd"), Some("has an absolute path"));
        assert_eq!(unsafe_name("C:\\x"), Some("names a drive"));
        assert_eq!(unsafe_name("a\\..\\..\\x"), Some("leaves the archive"));
        assert_eq!(unsafe_name("a/b..c/d"), None);
    }

    #[test]
    fn a_zip_bomb_is_stopped_while_inflating() {
        let zeros = vec![0_u8; 8 * 1024 * 1024];
        let bytes = zip_of(&[("bomb.xml", &zeros)]);
        assert!(bytes.len() < 64 * 1024, "the bomb compresses well");
        let err = read_zip("bomb.zip", &bytes, &ZipLimits::default()).expect_err("refused");
        assert!(
            err.message.contains("inflates more than 200:1"),
            "{}",
            err.message
        );
    }

    #[test]
    fn the_total_size_is_bounded() {
        let limits = ZipLimits {
            max_total: 10,
            ..ZipLimits::default()
        };
        let bytes = zip_of(&[("a", b"123456"), ("b", b"789012")]);
        let err = read_zip("t.zip", &bytes, &limits).expect_err("refused");
        assert!(
            err.message.contains("inflates past 10 bytes at entry `b`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn too_many_entries_are_refused() {
        let limits = ZipLimits {
            max_entries: 1,
            ..ZipLimits::default()
        };
        let bytes = zip_of(&[("a", b"1"), ("b", b"2")]);
        let err = read_zip("t.zip", &bytes, &limits).expect_err("refused");
        assert!(err.message.contains("2 entries"), "{}", err.message);
    }

    #[test]
    fn a_symbolic_link_is_refused() {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        writer
            .add_symlink("link", "/etc/passwd", SimpleFileOptions::default())
            .expect("symlink");
        let bytes = writer.finish().expect("finish").into_inner();
        let err = read_zip("l.zip", &bytes, &ZipLimits::default()).expect_err("refused");
        assert_eq!(err.message, "zip entry `link` is a symbolic link: refused");
    }

    #[test]
    fn garbage_is_not_an_archive() {
        let err = read_zip("g.zip", b"not a zip", &ZipLimits::default()).expect_err("refused");
        assert!(err.message.starts_with("not a readable zip archive"));
    }
}
