//! The files of `static/`, read once when the first page needs one and then served from memory, never touching
//! the file system or the database again:
//! - under a fingerprinted name (`/static/app.3f2a9c1d5e.css`, from the content's SHA-256), which the pages link
//!   to ([`url`]), with `Cache-Control: public, max-age=31536000, immutable`: a browser fetches each version once;
//! - under the plain name (`/static/app.css`), for links from outside, with `Cache-Control: no-cache` and an ETag.
//!
//! Each file is kept as is, gzip-compressed and brotli-compressed (when that is smaller), and a response carries
//! the best encoding the request's `Accept-Encoding` allows.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::OnceLock;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// One file of `static/`, with its encodings.
#[derive(Debug)]
pub struct Asset {
    /// `/static/<stem>.<fingerprint>.<ext>`
    pub url: String,
    content_type: &'static str,
    etag: HeaderValue,
    // Shared by every response (a clone is a reference count, not a copy).
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

/// The files, by plain name; and the fingerprinted names, each to its plain name.
#[derive(Debug, Default)]
pub struct Assets {
    by_name: HashMap<String, Asset>,
    fingerprinted: HashMap<String, String>,
}

/// The `static/` folder: beside the binary's working directory, or the crate's (for tests).
pub fn static_dir() -> std::path::PathBuf {
    let here = std::path::PathBuf::from("static");
    if here.is_dir() {
        here
    } else {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static")
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `app.css` with fingerprint `f` is `app.f.css`; a name without an extension gets `.f` at its end.
fn fingerprinted_name(name: &str, fingerprint: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{fingerprint}.{ext}"),
        None => format!("{name}.{fingerprint}"),
    }
}

fn smaller(compressed: Vec<u8>, than: &[u8]) -> Option<Bytes> {
    (compressed.len() < than.len()).then(|| Bytes::from(compressed))
}

fn gzip(data: &[u8]) -> Option<Bytes> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).ok()?;
    smaller(enc.finish().ok()?, data)
}

fn brotli(data: &[u8]) -> Option<Bytes> {
    let mut out = Vec::new();
    {
        let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        enc.write_all(data).ok()?;
    }
    smaller(out, data)
}

impl Assets {
    /// Reads every file directly in `dir` (sub-folders are not served).
    pub fn load(dir: &std::path::Path) -> std::io::Result<Assets> {
        let mut assets = Assets::default();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let identity = std::fs::read(entry.path())?;
            let digest = hex::encode(Sha256::digest(&identity));
            let fingerprint = &digest[..10];
            let url_name = fingerprinted_name(&name, fingerprint);
            let asset = Asset {
                url: format!("/static/{url_name}"),
                content_type: content_type(&name),
                etag: HeaderValue::from_str(&format!("\"{fingerprint}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("\"0\"")),
                gzip: gzip(&identity),
                brotli: brotli(&identity),
                identity: Bytes::from(identity),
            };
            assets.fingerprinted.insert(url_name, name.clone());
            assets.by_name.insert(name, asset);
        }
        Ok(assets)
    }

    /// The file served at `/static/<name>`, and whether `name` is a fingerprinted (immutable) one.
    pub fn get(&self, name: &str) -> Option<(&Asset, bool)> {
        if let Some(a) = self.by_name.get(name) {
            return Some((a, false));
        }
        let plain = self.fingerprinted.get(name)?;
        self.by_name.get(plain).map(|a| (a, true))
    }

    /// The response to a `GET` of `name`: 404 when there is no such file, 304 when the request's
    /// `If-None-Match` holds its ETag, else the best encoding `Accept-Encoding` allows.
    pub fn respond(&self, name: &str, headers: &HeaderMap) -> Response {
        let Some((asset, immutable)) = self.get(name) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let cache = HeaderValue::from_static(if immutable { IMMUTABLE } else { REVALIDATE });
        let not_modified = headers
            .get(IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim() == asset.etag.to_str().unwrap_or(""))
            });
        let mut resp = if not_modified {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let accept = headers
                .get(ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let (body, encoding) = match (&asset.brotli, &asset.gzip) {
                (Some(b), _) if accepts(accept, "br") => (b, Some("br")),
                (_, Some(g)) if accepts(accept, "gzip") => (g, Some("gzip")),
                _ => (&asset.identity, None),
            };
            let mut resp = body.clone().into_response();
            let h = resp.headers_mut();
            h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
            if let Some(e) = encoding {
                h.insert(CONTENT_ENCODING, HeaderValue::from_static(e));
            }
            resp
        };
        let h = resp.headers_mut();
        h.insert(CACHE_CONTROL, cache);
        h.insert(ETAG, asset.etag.clone());
        h.insert(VARY, HeaderValue::from_static("accept-encoding"));
        resp
    }
}

/// Whether an `Accept-Encoding` value accepts `coding` (named, or by `*`, with a q-value above 0).
fn accepts(header: &str, coding: &str) -> bool {
    let mut named = None;
    let mut star = None;
    for part in header.split(',') {
        let mut bits = part.split(';');
        let name = bits.next().unwrap_or("").trim();
        let q = bits
            .filter_map(|b| b.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            named = Some(q > 0.0);
        } else if name == "*" {
            star = Some(q > 0.0);
        }
    }
    named.or(star).unwrap_or(false)
}

static ASSETS: OnceLock<Assets> = OnceLock::new();

/// The files of [`static_dir`], read on first use (an unreadable folder serves nothing and says so in the log).
pub fn assets() -> &'static Assets {
    ASSETS.get_or_init(|| {
        Assets::load(&static_dir()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the static folder could not be read");
            Assets::default()
        })
    })
}

/// The URL the pages link to for `static/<name>`: its fingerprinted name (`/static/<name>` if it is unknown,
/// which then answers 404 rather than pointing somewhere else).
pub fn url(name: &str) -> std::borrow::Cow<'static, str> {
    match assets().by_name.get(name) {
        Some(a) => a.url.as_str().into(),
        None => format!("/static/{name}").into(),
    }
}

/// `GET /static/{name}`.
pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    assets().respond(&name, &headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder that removes itself.
    struct Dir(std::path::PathBuf);
    impl Dir {
        fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn fixture() -> (Dir, Assets) {
        let dir = Dir(std::env::temp_dir().join(format!("ai102-assets-{}", uuid::Uuid::new_v4())));
        std::fs::create_dir_all(dir.path()).unwrap();
        let css = "body { color: black; }\n".repeat(200);
        std::fs::write(dir.path().join("app.css"), &css).unwrap();
        std::fs::write(dir.path().join("tiny.js"), "x").unwrap();
        let assets = Assets::load(dir.path()).unwrap();
        (dir, assets)
    }

    fn request(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn fingerprinted_names_are_immutable_and_plain_names_revalidate() {
        let (_dir, assets) = fixture();
        let url = assets.by_name["app.css"].url.clone();
        assert!(
            url.starts_with("/static/app.") && url.ends_with(".css"),
            "{url}"
        );
        let name = url.trim_start_matches("/static/");
        let r = assets.respond(name, &HeaderMap::new());
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CACHE_CONTROL], IMMUTABLE);
        let r = assets.respond("app.css", &HeaderMap::new());
        assert_eq!(r.headers()[CACHE_CONTROL], REVALIDATE);
        assert_eq!(r.headers()[CONTENT_TYPE], "text/css; charset=utf-8");
        assert_eq!(
            assets
                .respond("app.0000000000.css", &HeaderMap::new())
                .status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn the_best_accepted_encoding_is_sent_and_decodes_to_the_file() {
        let (dir, assets) = fixture();
        let original = std::fs::read(dir.path().join("app.css")).unwrap();
        let r = assets.respond("app.css", &request(&[("accept-encoding", "gzip, br")]));
        assert_eq!(r.headers()[CONTENT_ENCODING], "br");
        let r = assets.respond("app.css", &request(&[("accept-encoding", "gzip, br;q=0")]));
        assert_eq!(r.headers()[CONTENT_ENCODING], "gzip");
        let gz = assets.by_name["app.css"].gzip.clone().unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain).unwrap();
        assert_eq!(plain, original);
        let br = assets.by_name["app.css"].brotli.clone().unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut brotli::Decompressor::new(&br[..], 4096), &mut plain)
            .unwrap();
        assert_eq!(plain, original);
        let r = assets.respond("app.css", &HeaderMap::new());
        assert!(r.headers().get(CONTENT_ENCODING).is_none());
        // Not worth compressing: always sent as is.
        let r = assets.respond("tiny.js", &request(&[("accept-encoding", "br, gzip")]));
        assert!(r.headers().get(CONTENT_ENCODING).is_none());
    }

    #[test]
    fn a_matching_etag_gets_304() {
        let (_dir, assets) = fixture();
        let etag = assets.by_name["app.css"].etag.to_str().unwrap().to_owned();
        let r = assets.respond("app.css", &request(&[("if-none-match", &etag)]));
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[ETAG], etag.as_str());
    }

    #[test]
    fn accept_encoding_honours_q_zero_and_star() {
        assert!(accepts("gzip, deflate, br", "br"));
        assert!(!accepts("gzip;q=1.0, br;q=0", "br"));
        assert!(accepts("*", "gzip"));
        assert!(!accepts("*, gzip;q=0", "gzip"));
        assert!(!accepts("", "gzip"));
        assert!(!accepts("identity", "br"));
    }
}
