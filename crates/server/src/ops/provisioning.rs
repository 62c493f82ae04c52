//! DynamoDB's rules for changing a table's (or global index's) provisioned capacity and
//! its billing mode, as pure functions of the change history and the time, so that tests
//! drive them across UTC day and hour boundaries without waiting.
//!
//! - **Decreases** ([`check_decrease`]): any 4 in a UTC day; after those, one more
//!   whenever there was none in the last hour. That is at most 4 + 23 = 27 a day. A
//!   refusal is LimitExceededException.
//! - **Switches to PAY_PER_REQUEST** ([`check_on_demand_switch`]): at most 4 in any
//!   rolling 24 hours. Switching back to PROVISIONED is allowed at any time, and so are
//!   increases.
//!
//! It is not: where the history lives (`TableMeta`/`IndexMeta` in the catalog, written by
//! UpdateTable under the DDL lock) nor a clock: callers pass `now`, seconds since the
//! Unix epoch as the catalog stores its timestamps. Unix time has no leap seconds, so a
//! UTC day is exactly `floor(t / 86400)`.
//!
//! Invariants a reader must keep:
//! - A stored decrease count means "decreases on the UTC day of the last decrease". It is
//!   never reset in place: readers (DescribeTable, the next UpdateTable) ask
//!   [`decreases_today`], which counts 0 once that day is over.
//! - A switch history holds at most [`ON_DEMAND_SWITCHES`] times, oldest first; older
//!   ones can never refuse anything again and are dropped by [`record_on_demand_switch`].
//! - A clock that goes back never grants more than the rules allow: times after `now`
//!   still count.

use crate::api::error::ApiError;

/// Decreases allowed at any time in a UTC day.
pub const FREE_DECREASES_PER_DAY: u32 = 4;
/// After the free ones, a decrease needs this long since the previous one.
pub const DECREASE_INTERVAL_SECS: f64 = 3600.0;
/// Switches to PAY_PER_REQUEST allowed in [`ON_DEMAND_WINDOW_SECS`].
pub const ON_DEMAND_SWITCHES: usize = 4;
/// The rolling window of [`ON_DEMAND_SWITCHES`].
pub const ON_DEMAND_WINDOW_SECS: f64 = 24.0 * 3600.0;

const DAY_SECS: f64 = 24.0 * 3600.0;

/// The UTC day a time falls on (days since the epoch).
fn utc_day(t: f64) -> i64 {
    (t / DAY_SECS).floor() as i64
}

/// Decreases made on `now`'s UTC day, given the last decrease and the count stored with
/// it: the count while `last` is on the same day (or later, if the clock went back),
/// otherwise 0.
pub fn decreases_today(last: Option<f64>, count: u32, now: f64) -> u32 {
    match last {
        Some(t) if utc_day(t) >= utc_day(now) => count,
        _ => 0,
    }
}

/// A decrease refused by DynamoDB's daily limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecreaseRefused {
    /// Decreases already made today.
    pub today: u32,
    /// The last decrease.
    pub last: f64,
    /// When the next decrease is allowed: an hour after the last one, or the next UTC
    /// midnight if that comes first.
    pub next: f64,
}

impl DecreaseRefused {
    /// DynamoDB's message.
    pub fn message(&self) -> String {
        format!(
            "Subscriber limit exceeded: Provisioned throughput decreases are limited within a \
             given UTC day. After the first {FREE_DECREASES_PER_DAY} decreases, each subsequent \
             decrease in the same UTC day can be performed at most once every {} seconds. \
             Number of decreases today: {}. Last decrease at {}. Next decrease can be made at {}",
            DECREASE_INTERVAL_SECS as u64,
            self.today,
            long_date(self.last),
            long_date(self.next),
        )
    }
}

impl From<DecreaseRefused> for ApiError {
    fn from(r: DecreaseRefused) -> ApiError {
        ApiError::LimitExceeded(r.message())
    }
}

/// Whether a decrease is allowed at `now` after the history (`last`, `count`).
pub fn check_decrease(last: Option<f64>, count: u32, now: f64) -> Result<(), DecreaseRefused> {
    let today = decreases_today(last, count, now);
    let Some(last) = last else { return Ok(()) };
    if today < FREE_DECREASES_PER_DAY || now - last >= DECREASE_INTERVAL_SECS {
        return Ok(());
    }
    let midnight = (utc_day(last) + 1) as f64 * DAY_SECS;
    Err(DecreaseRefused {
        today,
        last,
        next: (last + DECREASE_INTERVAL_SECS).min(midnight),
    })
}

/// Records a decrease at `now` (after [`check_decrease`] allowed it).
pub fn record_decrease(last: &mut Option<f64>, count: &mut u32, now: f64) {
    *count = decreases_today(*last, *count, now) + 1;
    *last = Some(now);
}

/// A table's or a global index's history of capacity changes.
pub struct History<'a> {
    /// `LastIncreaseDateTime`.
    pub last_increase: &'a mut Option<f64>,
    /// `LastDecreaseDateTime`.
    pub last_decrease: &'a mut Option<f64>,
    /// Decreases counted in the UTC day of `last_decrease`.
    pub decreases_today: &'a mut u32,
}

/// Records a change of provisioned units from `old` to `new` (read, write) at `now`: a
/// decrease of either is checked against DynamoDB's limits and counted, an increase of
/// either is stamped. Refused, nothing is recorded.
pub fn record_change(
    h: History<'_>,
    old: (u64, u64),
    new: (u64, u64),
    now: f64,
) -> Result<(), DecreaseRefused> {
    if new.0 < old.0 || new.1 < old.1 {
        check_decrease(*h.last_decrease, *h.decreases_today, now)?;
        record_decrease(h.last_decrease, h.decreases_today, now);
    }
    if new.0 > old.0 || new.1 > old.1 {
        *h.last_increase = Some(now);
    }
    Ok(())
}

/// A switch to PAY_PER_REQUEST refused by the rolling limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SwitchRefused {
    /// The last switch.
    pub last: f64,
    /// When the oldest switch in the window leaves it.
    pub next: f64,
}

impl SwitchRefused {
    /// DynamoDB's message (its wording for the former once-a-day limit, with the count).
    pub fn message(&self) -> String {
        format!(
            "Subscriber limit exceeded: Update to PayPerRequest mode are limited to \
             {ON_DEMAND_SWITCHES} times in 1 day(s). Last update at {}. Next update can be made \
             at {}",
            short_date(self.last),
            short_date(self.next),
        )
    }
}

impl From<SwitchRefused> for ApiError {
    fn from(r: SwitchRefused) -> ApiError {
        ApiError::LimitExceeded(r.message())
    }
}

/// The switches of `history` that still count at `now`, oldest first.
fn in_window(history: &[f64], now: f64) -> Vec<f64> {
    let mut recent: Vec<f64> = history
        .iter()
        .copied()
        .filter(|t| now - t < ON_DEMAND_WINDOW_SECS)
        .collect();
    recent.sort_by(f64::total_cmp);
    recent
}

/// Whether a switch to PAY_PER_REQUEST is allowed at `now` after the switches in
/// `history`.
pub fn check_on_demand_switch(history: &[f64], now: f64) -> Result<(), SwitchRefused> {
    let recent = in_window(history, now);
    match (recent.len().checked_sub(ON_DEMAND_SWITCHES), recent.last()) {
        (Some(oldest), Some(&last)) => Err(SwitchRefused {
            last,
            // The switch that must leave the window for the count to drop below the limit.
            next: recent.get(oldest).copied().unwrap_or(last) + ON_DEMAND_WINDOW_SECS,
        }),
        _ => Ok(()),
    }
}

/// Records a switch to PAY_PER_REQUEST at `now`, keeping only what can still count.
pub fn record_on_demand_switch(history: &mut Vec<f64>, now: f64) {
    let mut recent = in_window(history, now);
    recent.push(now);
    let excess = recent.len().saturating_sub(ON_DEMAND_SWITCHES);
    recent.drain(..excess);
    *history = recent;
}

fn datetime(t: f64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.floor() as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `Wednesday, July 8, 2020 at 5:55:31 PM Coordinated Universal Time`, as DynamoDB
/// writes times in the decrease message (Java's FULL date and time style).
pub fn long_date(t: f64) -> String {
    let f = time::macros::format_description!(
        "[weekday], [month repr:long] [day padding:none], [year] at \
         [hour repr:12 padding:none]:[minute]:[second] [period] Coordinated Universal Time"
    );
    datetime(t).format(f).unwrap_or_default()
}

/// `Wed Jul 08 17:55:31 UTC 2020`, as DynamoDB writes times in the billing-mode message
/// (Java's `Date.toString`).
pub fn short_date(t: f64) -> String {
    let f = time::macros::format_description!(
        "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
    );
    datetime(t).format(f).unwrap_or_default()
}

#[cfg(test)]
#[path = "provisioning_test.rs"]
mod tests;
