//! Bearer-token authentication: every data request must come from an `Admin`.
//!
//! [`crate::admission`] calls [`authenticate`] in front of every data route and renders its errors
//! in the face's shape: a missing, malformed, unknown, expired or revoked token is a 401 and a
//! non-Admin's token a 403.

use axum::http::{HeaderMap, header};
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

/// The token of an `Authorization: Bearer <token>` header, if there is one.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Checks the request's token: one indexed look-up by hash, joined to the token's user.
pub async fn authenticate(db: &DatabaseConnection, headers: &HeaderMap) -> Result<Admin, AppError> {
    let token = bearer_token(headers).ok_or(AppError::Unauthenticated)?;
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(tokens::hash_secret(token)))
        .find_also_related(users::Entity)
        .one(db)
        .await?;
    let Some((token, Some(user))) = found else {
        return Err(AppError::Unauthenticated);
    };
    let now = tokens::now();
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|expires| expires <= now) {
        return Err(AppError::Unauthenticated);
    }
    if user.role != users::ADMIN_ROLE {
        return Err(AppError::Forbidden);
    }
    Ok(Admin { user_id: user.id, token_id: token.id })
}
