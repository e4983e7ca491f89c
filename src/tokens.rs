//! API tokens: random secrets handed to callers once, stored only as SHA-256 hashes.

use chrono::{NaiveDateTime, TimeDelta, Utc};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use sha2::{Digest, Sha256};

use entity::{api_token, users};

/// Prefix that makes leaked tokens easy to recognise (and to scan for).
const TOKEN_PREFIX: &str = "agw_";

/// A fresh secret: 32 bytes of OS randomness, URL-safe base64, behind [`TOKEN_PREFIX`].
pub fn generate_secret() -> Result<String, rand::rand_core::OsError> {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    OsRng.try_fill_bytes(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
}

/// Lower-case hex SHA-256 of a secret: what `api_token.token_hash` holds.
pub fn hash_secret(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no user with id or user_name {0:?}")]
    UnknownUser(String),
    #[error("no token with id {0}")]
    UnknownToken(i64),
    #[error("--expires-in-days must be at least 1")]
    BadExpiry,
    #[error("the operating system's random source failed: {0}")]
    Randomness(#[from] rand::rand_core::OsError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A created token: its row id and the secret, which exists nowhere else.
pub struct CreatedToken {
    pub id: i64,
    pub secret: String,
    pub user: users::Model,
}

/// Finds a user by numeric id or by `user_name`.
pub async fn find_user(db: &DatabaseConnection, user: &str) -> Result<users::Model, TokenError> {
    let by_id = match user.parse::<i64>() {
        Ok(id) => users::Entity::find_by_id(id).one(db).await?,
        Err(_) => None,
    };
    let found = match by_id {
        Some(found) => Some(found),
        None => users::Entity::find().filter(users::Column::UserName.eq(user)).one(db).await?,
    };
    found.ok_or_else(|| TokenError::UnknownUser(user.to_owned()))
}

pub async fn create(
    db: &DatabaseConnection,
    user: &str,
    name: &str,
    expires_in_days: Option<i64>,
) -> Result<CreatedToken, TokenError> {
    let user = find_user(db, user).await?;
    let now = now();
    let expires_at = match expires_in_days {
        Some(days) if days < 1 => return Err(TokenError::BadExpiry),
        Some(days) => Some(now + TimeDelta::try_days(days).ok_or(TokenError::BadExpiry)?),
        None => None,
    };
    let secret = generate_secret()?;
    let row = api_token::ActiveModel {
        user_id: Set(user.id),
        name: Set(name.to_owned()),
        token_hash: Set(hash_secret(&secret)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(CreatedToken { id: row.id, secret, user })
}

/// Marks a token revoked; it stops working on the next request. Revoking twice keeps the first time.
pub async fn revoke(db: &DatabaseConnection, id: i64) -> Result<(), TokenError> {
    let token = api_token::Entity::find_by_id(id).one(db).await?.ok_or(TokenError::UnknownToken(id))?;
    if token.revoked_at.is_none() {
        let mut token: api_token::ActiveModel = token.into();
        token.revoked_at = Set(Some(now()));
        token.update(db).await?;
    }
    Ok(())
}

/// Every token with its user, oldest first. Secrets are not stored, so none can be shown.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<(api_token::Model, Option<users::Model>)>, DbErr> {
    api_token::Entity::find().find_also_related(users::Entity).order_by_asc(api_token::Column::Id).all(db).await
}

/// The users who may read the audit log, by user_name.
pub async fn admins(db: &DatabaseConnection) -> Result<Vec<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::Role.eq(users::ADMIN_ROLE))
        .order_by_asc(users::Column::UserName)
        .all(db)
        .await
}

/// Now, in UTC, to the second (as the audit log's timestamps are stored).
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now - TimeDelta::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_url_safe() {
        let first = generate_secret().expect("randomness");
        let second = generate_secret().expect("randomness");
        assert_ne!(first, second);
        assert_eq!(first.len(), TOKEN_PREFIX.len() + 43);
        assert!(first[TOKEN_PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn the_hash_is_hex_sha256() {
        assert_eq!(hash_secret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
