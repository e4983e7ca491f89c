//! Bearer-token authentication: every data request must come from an `Admin`.
//!
//! [`crate::admission`] calls [`TokenCache::authenticate`] in front of every data route and
//! renders its errors in the face's shape: a missing, malformed, unknown, expired or revoked token
//! is a 401 and a non-Admin's token a 403.
//!
//! A token found valid is remembered for at most [`VERIFIED_FOR`], so a client's next requests
//! skip the database round trip. That bounds how long a change made elsewhere takes to count: a
//! token revoked (by `token revoke`, on any machine) or a user no longer an Admin is refused by
//! every replica within that second, since each replica forgets what it verified a second after
//! reading it. Expiry needs no round trip: the remembered expiry time is checked on every request.
//! Refusals are never remembered, so a token created a moment ago works at once.

use std::time::Duration;

use axum::http::{HeaderMap, header};
use chrono::NaiveDateTime;
use moka::sync::Cache;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::error::AppError;
use crate::tokens;
use entity::{api_token, users};

/// The authenticated caller: an administrator.
#[derive(Clone, Copy, Debug)]
pub struct Admin {
    pub user_id: i64,
    pub token_id: i64,
}

/// How long a replica trusts a token it verified: the longest a revocation made elsewhere can
/// take to reach it.
pub const VERIFIED_FOR: Duration = Duration::from_secs(1);

/// Most tokens remembered at once; beyond it the least used are forgotten first.
const MAX_VERIFIED: u64 = 10_000;

/// What was read for a valid token: who it admits, and until when.
#[derive(Clone, Copy, Debug)]
struct Verified {
    admin: Admin,
    expires_at: Option<NaiveDateTime>,
}

/// The tokens this replica verified in the last [`VERIFIED_FOR`], by the SHA-256 of the secret
/// (the secret itself is kept nowhere). Cheap to clone: clones share the entries.
#[derive(Clone)]
pub struct TokenCache {
    verified: Cache<String, Verified>,
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache { verified: Cache::builder().max_capacity(MAX_VERIFIED).time_to_live(VERIFIED_FOR).build() }
    }
}

impl TokenCache {
    /// Checks the request's token: remembered from the last second, or one indexed look-up by
    /// hash joined to the token's user.
    pub async fn authenticate(&self, db: &DatabaseConnection, headers: &HeaderMap) -> Result<Admin, AppError> {
        let token_hash = tokens::hash_secret(bearer_token(headers).ok_or(AppError::Unauthenticated)?);
        let now = tokens::now();
        if let Some(verified) = self.verified.get(&token_hash) {
            if verified.expires_at.is_some_and(|expires| expires <= now) {
                self.verified.invalidate(&token_hash);
                return Err(AppError::Unauthenticated);
            }
            return Ok(verified.admin);
        }
        let verified = verify(db, &token_hash, now).await?;
        self.verified.insert(token_hash, verified);
        Ok(verified.admin)
    }
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Reads the token with this hash and its user, and checks them at `now`.
async fn verify(db: &DatabaseConnection, token_hash: &str, now: NaiveDateTime) -> Result<Verified, AppError> {
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .find_also_related(users::Entity)
        .one(db)
        .await?;
    let Some((token, Some(user))) = found else {
        return Err(AppError::Unauthenticated);
    };
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|expires| expires <= now) {
        return Err(AppError::Unauthenticated);
    }
    if user.role != users::ADMIN_ROLE {
        return Err(AppError::Forbidden);
    }
    Ok(Verified { admin: Admin { user_id: user.id, token_id: token.id }, expires_at: token.expires_at })
}
