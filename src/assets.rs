//! Pages and files built into the binary and served as they are: the audit page's
//! ([`crate::audit_page`], built from `web/`) and the playground's ([`crate::graphql`], from
//! `playground/`). Neither needs a token to load, asks anything of another host, or changes
//! unless the binary does.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The pages may only load from, and talk to, the gateway itself. (GraphiQL and the chart set
/// inline styles.)
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";

/// One embedded file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// An HTML page, under the policy above.
pub fn page(html: &'static str) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    response
}

/// A set of embedded files with their entity tags, computed on first use.
pub struct Assets {
    files: &'static [Asset],
    tags: LazyLock<Vec<HeaderValue>>,
}

impl Assets {
    /// `tags` computes [`entity_tags`] of `files` (a function, so that this can be a `static`).
    pub const fn new(files: &'static [Asset], tags: fn() -> Vec<HeaderValue>) -> Self {
        Assets { files, tags: LazyLock::new(tags) }
    }

    /// The file `name`, revalidated by its content's hash: a browser asks again each time (an
    /// upgraded binary's page never runs yesterday's script) and gets a 304 while it has it.
    pub fn serve(&self, name: &str, headers: &HeaderMap) -> Response {
        let found = self.files.iter().zip(self.tags.iter()).find(|(asset, _)| asset.name == name);
        let Some((asset, tag)) = found else { return StatusCode::NOT_FOUND.into_response() };
        let common = [(header::ETAG, tag.clone()), (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))];
        if headers.get(header::IF_NONE_MATCH).is_some_and(|seen| seen == tag) {
            return (StatusCode::NOT_MODIFIED, common).into_response();
        }
        (common, [(header::CONTENT_TYPE, asset.content_type)], asset.bytes).into_response()
    }
}

/// The entity tags of `files`, in order: a quoted prefix of each file's SHA-256.
pub fn entity_tags(files: &[Asset]) -> Vec<HeaderValue> {
    files
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.bytes);
            let hex: String = digest.iter().take(12).map(|byte| format!("{byte:02x}")).collect();
            HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or(HeaderValue::from_static("\"\""))
        })
        .collect()
}
