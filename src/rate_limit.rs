//! Requests per minute per token, for `--rate-limit-per-minute`.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Requests per minute per token (GCRA: a full minute's worth may come at once, then they refill
/// evenly). Keyed by token id, so only valid tokens ever take a slot.
pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<i64>,
    clock: DefaultClock,
}

impl RateLimiter {
    pub fn per_minute(requests: NonZeroU32) -> Self {
        RateLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(requests)),
            clock: DefaultClock::default(),
        }
    }

    /// `Err` holds how long the token must wait for its next request.
    pub fn check(&self, token_id: i64) -> Result<(), Duration> {
        self.limiter.check_key(&token_id).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}
