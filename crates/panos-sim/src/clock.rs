//! Simulated time: a clock that runs `scale` times faster than `tokio::time::Instant`, and the
//! calendar strings the device renders (`2025/06/02 08:00:00`, `Mon Jun  2 08:00:00 2025`).
//!
//! Everything that progresses (jobs, reboots, HA sync) is stored as a [`SimInstant`] and compared
//! with [`SimClock::now`] when a request arrives; nothing ticks in the background. Because the
//! clock reads `tokio::time::Instant`, tests under `tokio::time::pause()` drive it exactly.

use std::time::Duration;

use tokio::time::Instant;

/// A point in simulated time: the simulated duration since the simulator started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimInstant(pub Duration);

impl SimInstant {
    /// This instant moved `d` later.
    pub fn after(self, d: Duration) -> SimInstant {
        SimInstant(self.0 + d)
    }

    /// The simulated time from `earlier` to `self` (zero when `earlier` is later).
    pub fn since(self, earlier: SimInstant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

/// The simulation clock: simulated time advances `scale` times as fast as tokio time.
#[derive(Debug, Clone)]
pub struct SimClock {
    anchor_real: Instant,
    anchor_sim: Duration,
    scale: f64,
}

impl SimClock {
    /// A clock starting at simulated zero now, running at `scale` (1.0 = real time).
    pub fn new(scale: f64) -> Self {
        SimClock {
            anchor_real: Instant::now(),
            anchor_sim: Duration::ZERO,
            scale: sanitize_scale(scale),
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> SimInstant {
        let real = Instant::now().saturating_duration_since(self.anchor_real);
        SimInstant(self.anchor_sim + real.mul_f64(self.scale))
    }

    /// The current time scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Moves simulated time forward by `d` at once (for tests and demos on real time).
    pub fn skip(&mut self, d: Duration) {
        self.anchor_sim += d;
    }

    /// Changes the time scale from now on; simulated time already passed is kept.
    pub fn set_scale(&mut self, scale: f64) {
        let now = self.now();
        self.anchor_real = Instant::now();
        self.anchor_sim = now.0;
        self.scale = sanitize_scale(scale);
    }
}

fn sanitize_scale(scale: f64) -> f64 {
    if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    }
}

/// The simulated calendar: simulated zero is this many seconds after the Unix epoch
/// (2025-06-02 08:00:00, a Monday).
pub const CALENDAR_EPOCH_UNIX: u64 = 1_748_851_200;

/// Broken-down calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year, e.g. 2025.
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
    /// Day of week, 0 = Sunday.
    pub weekday: u32,
}

/// The calendar time of a simulated instant.
pub fn civil(t: SimInstant) -> Civil {
    civil_from_unix(CALENDAR_EPOCH_UNIX + t.0.as_secs())
}

/// The calendar time of Unix seconds (UTC).
pub fn civil_from_unix(secs: u64) -> Civil {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        minute: (rem % 3600 / 60) as u32,
        second: (rem % 60) as u32,
        weekday: ((days + 4).rem_euclid(7)) as u32,
    }
}

/// `2025/06/02 08:00:00`, the job `tenq` and catalog date format.
pub fn ymd_hms(t: SimInstant) -> String {
    let c = civil(t);
    format!(
        "{:04}/{:02}/{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `08:00:00`, the job `tdeq`/`tfin` format.
pub fn hms(t: SimInstant) -> String {
    let c = civil(t);
    format!("{:02}:{:02}:{:02}", c.hour, c.minute, c.second)
}

/// `Mon Jun  2 08:00:00 2025`, the `show system info` `<time>` format.
pub fn ctime(t: SimInstant) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = civil(t);
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {}",
        DAYS[c.weekday as usize],
        MONTHS[(c.month - 1) as usize],
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

/// `65 days, 8:44:39`, the uptime format.
pub fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    format!(
        "{} days, {}:{:02}:{:02}",
        s / 86_400,
        s % 86_400 / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_epoch_is_a_monday_morning() {
        assert_eq!(ymd_hms(SimInstant::default()), "2025/06/02 08:00:00");
        assert_eq!(ctime(SimInstant::default()), "Mon Jun  2 08:00:00 2025");
        let later = SimInstant(Duration::from_secs(86_400 * 30 + 3661));
        assert_eq!(ymd_hms(later), "2025/07/02 09:01:01");
        assert_eq!(hms(later), "09:01:01");
    }

    #[test]
    fn uptime_matches_the_device_format() {
        assert_eq!(
            uptime(Duration::from_secs(65 * 86_400 + 8 * 3600 + 44 * 60 + 39)),
            "65 days, 8:44:39"
        );
        assert_eq!(uptime(Duration::from_secs(59)), "0 days, 0:00:59");
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_scales_tokio_time() {
        let mut clock = SimClock::new(60.0);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(clock.now().0, Duration::from_secs(120));
        clock.set_scale(1.0);
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(clock.now().0, Duration::from_secs(123));
    }
}
