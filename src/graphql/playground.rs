//! The playground: GraphiQL, served from the binary itself. The builds it runs on (GraphiQL,
//! React) are pinned in `playground/package.json` and its lockfile, copied into
//! `playground/assets/` by `npm run vendor`, and embedded here at compile time, so the page asks
//! nothing of any other host and works on a machine without internet.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// The page may only load from, and talk to, the gateway itself. GraphiQL sets inline styles.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";

/// The page's files: `(name, content type, bytes)`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("graphiql.min.js", "text/javascript", include_bytes!("../../playground/assets/graphiql.min.js")),
    ("graphiql.min.css", "text/css", include_bytes!("../../playground/assets/graphiql.min.css")),
    ("react.production.min.js", "text/javascript", include_bytes!("../../playground/assets/react.production.min.js")),
    (
        "react-dom.production.min.js",
        "text/javascript",
        include_bytes!("../../playground/assets/react-dom.production.min.js"),
    ),
    ("playground.js", "text/javascript", include_bytes!("../../playground/src/playground.js")),
    ("playground.css", "text/css", include_bytes!("../../playground/src/playground.css")),
];

const PAGE: &str = include_str!("../../playground/src/index.html");

/// `/graphql/assets/{name}`: needs no token, like the page.
pub fn router() -> Router<AppState> {
    Router::new().route("/graphql/assets/{name}", get(asset))
}

/// The page itself (served for a browser's `GET /graphql`).
pub fn page() -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    response
}

async fn asset(Path(name): Path<String>) -> Response {
    let Some((_, content_type, bytes)) = ASSETS.iter().find(|(file, _, _)| *file == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // The files change only with the binary; an hour of caching spares reloads.
    let headers = [(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=3600")];
    (headers, *bytes).into_response()
}
