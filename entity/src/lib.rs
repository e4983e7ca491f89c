//! SeaORM entities for the tables the gateway reads and the one it owns.
//!
//! `users`, `transaction` and `activity` follow the layout of SQLAlchemy-Continuum's activity plugin:
//! other systems write these rows, so table and column names are part of the contract
//! (docs/behaviour.md, section 1). `api_token` is the gateway's own. Nothing here knows about GraphQL or HTTP.

pub mod activity;
pub mod api_token;
pub mod transaction;
pub mod users;

pub mod prelude {
    pub use super::activity::Entity as Activity;
    pub use super::api_token::Entity as ApiToken;
    pub use super::transaction::Entity as Transaction;
    pub use super::users::Entity as Users;
}
