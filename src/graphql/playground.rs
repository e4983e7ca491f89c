//! The playground: GraphiQL, served from the binary itself. The builds it runs on (GraphiQL,
//! React) are pinned in `playground/package.json` and its lockfile, copied into
//! `playground/assets/` by `npm run vendor`, and embedded here at compile time, so the page asks
//! nothing of any other host and works on a machine without internet.

use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use crate::assets::{self, Asset, Assets};
use crate::state::AppState;

const FILES: &[Asset] = &[
    Asset {
        name: "graphiql.min.js",
        content_type: "text/javascript",
        bytes: include_bytes!("../../playground/assets/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css",
        bytes: include_bytes!("../../playground/assets/graphiql.min.css"),
    },
    Asset {
        name: "react.production.min.js",
        content_type: "text/javascript",
        bytes: include_bytes!("../../playground/assets/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: "text/javascript",
        bytes: include_bytes!("../../playground/assets/react-dom.production.min.js"),
    },
    Asset {
        name: "playground.js",
        content_type: "text/javascript",
        bytes: include_bytes!("../../playground/src/playground.js"),
    },
    Asset {
        name: "playground.css",
        content_type: "text/css",
        bytes: include_bytes!("../../playground/src/playground.css"),
    },
];

static ASSETS: Assets = Assets::new(FILES, || assets::entity_tags(FILES));

const PAGE: &str = include_str!("../../playground/src/index.html");

/// `/graphql/assets/{name}`: needs no token, like the page.
pub fn router() -> Router<AppState> {
    Router::new().route("/graphql/assets/{name}", get(asset))
}

/// The page itself (served for a browser's `GET /graphql`).
pub fn page() -> Response {
    assets::page(PAGE)
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    ASSETS.serve(&name, &headers)
}
