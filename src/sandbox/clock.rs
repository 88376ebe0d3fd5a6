//! The sandbox's clock: the system time moved by an offset a test sets, or
//! frozen at one instant until the test moves it.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;

/// A clock a test can move forward (and stop, for exact timings).
#[derive(Debug, Default)]
pub struct SandboxClock {
    state: Mutex<ClockState>,
}

#[derive(Debug, Default, Clone, Copy)]
struct ClockState {
    /// Added to the system time.
    offset: Duration,
    /// When frozen, the instant shown until the clock moves or runs again.
    frozen_at: Option<DateTime<Utc>>,
}

/// What the clock shows, for the sandbox's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// The time every operation sees.
    pub now: DateTime<Utc>,
    /// How far ahead of the system time it is.
    pub offset: Duration,
    /// Whether it stands still.
    pub frozen: bool,
}

impl SandboxClock {
    fn state(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) -> ClockReading {
        let mut state = self.state();
        state.offset += by;
        if let Some(frozen_at) = state.frozen_at.as_mut() {
            *frozen_at += by;
        }
        drop(state);
        self.reading()
    }

    /// Stops the clock at the time it shows now (`true`), or lets it run
    /// again from the time it shows (`false`).
    pub fn set_frozen(&self, frozen: bool) -> ClockReading {
        let mut state = self.state();
        let system = Utc::now();
        match (frozen, state.frozen_at) {
            (true, None) => state.frozen_at = Some(system + state.offset),
            (false, Some(frozen_at)) => {
                state.offset = frozen_at - system;
                state.frozen_at = None;
            }
            _ => {}
        }
        drop(state);
        self.reading()
    }

    /// Back to the system time, running.
    pub fn reset(&self) -> ClockReading {
        *self.state() = ClockState::default();
        self.reading()
    }

    /// What the clock shows.
    pub fn reading(&self) -> ClockReading {
        let state = *self.state();
        let system = Utc::now();
        ClockReading {
            now: state.frozen_at.unwrap_or(system + state.offset),
            offset: state
                .frozen_at
                .map_or(state.offset, |frozen_at| frozen_at - system),
            frozen: state.frozen_at.is_some(),
        }
    }
}

impl Clock for SandboxClock {
    fn now(&self) -> DateTime<Utc> {
        self.reading().now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advanced_clock_runs_ahead_of_the_system_time() {
        let clock = SandboxClock::default();
        let reading = clock.advance(Duration::minutes(15));
        assert_eq!(reading.offset, Duration::minutes(15));
        let ahead = clock.now() - Utc::now();
        assert!(ahead > Duration::minutes(14) && ahead <= Duration::minutes(15));
        assert!(clock.reset().offset.is_zero());
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced_and_runs_on_from_there() {
        let clock = SandboxClock::default();
        let frozen = clock.set_frozen(true);
        assert!(frozen.frozen);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(clock.now(), frozen.now);
        let moved = clock.advance(Duration::milliseconds(1));
        assert_eq!(moved.now, frozen.now + Duration::milliseconds(1));
        let running = clock.set_frozen(false);
        assert!(!running.frozen);
        assert!(clock.now() >= moved.now);
    }
}
