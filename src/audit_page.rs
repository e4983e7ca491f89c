//! The audit page at `GET /`: an administrator's view of the log (cards, chart, filters and the
//! activity table) in a browser, built from `web/` into `web/dist/` and embedded here at compile
//! time, so building needs no Node.js and the page asks nothing of any other host. It needs no
//! token to load: it signs in with one and sends it with its GraphQL requests to `/graphql`
//! (docs/behaviour.md, "The audit page").

use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use crate::assets::{self, Asset, Assets};
use crate::state::AppState;

const PAGE: &str = include_str!("../web/dist/index.html");

const FILES: &[Asset] = &[
    Asset { name: "app.js", content_type: "text/javascript", bytes: include_bytes!("../web/dist/assets/app.js") },
    Asset { name: "app.css", content_type: "text/css", bytes: include_bytes!("../web/dist/assets/app.css") },
];

static ASSETS: Assets = Assets::new(FILES, || assets::entity_tags(FILES));

/// `/` and `/assets/{name}`.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(page)).route("/assets/{name}", get(asset))
}

async fn page() -> Response {
    assets::page(PAGE)
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    ASSETS.serve(&name, &headers)
}
