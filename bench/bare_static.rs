//! The static-file ceiling of `make bench`: bare axum answering `GET /static/app.css` with the stylesheet's bytes
//! from memory (no middleware, no file system, no compression), on the address given.
//!
//!     target/release/examples/bare_static 127.0.0.1:PORT
//!
//! bench/run.sh measures it with the same load generator, connections and time as the server's own
//! `/static/app.css`, in the same run, so the ratio of the two is what the server's stack costs.

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;

static APP_CSS: &[u8] = include_bytes!("../static/app.css");

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let app = Router::new().route(
        "/static/app.css",
        get(|| async { ([(CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS) }),
    );
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    eprintln!("bare_static: listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await
}
