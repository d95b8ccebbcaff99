//! HA membership of a simulated firewall: its state, its view of running-config sync, and the
//! pair transitions (failover when the active goes away, suspend, functional, return from a
//! reboot, preemption). Transitions take both members, so they cannot drift apart.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::SimInstant;

/// A firewall's HA state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HaState {
    /// Handling traffic.
    Active,
    /// Standing by.
    Passive,
    /// Suspended by the user (or a fault).
    Suspended,
    /// Starting up.
    Initial,
    /// Not functional.
    NonFunctional,
}

impl HaState {
    /// The text the device shows.
    pub fn as_str(self) -> &'static str {
        match self {
            HaState::Active => "active",
            HaState::Passive => "passive",
            HaState::Suspended => "suspended",
            HaState::Initial => "initial",
            HaState::NonFunctional => "non-functional",
        }
    }

    /// Parses `active`/`passive`/… (as written in a fleet file).
    pub fn parse(s: &str) -> Option<HaState> {
        Some(match s {
            "active" => HaState::Active,
            "passive" => HaState::Passive,
            "suspended" => HaState::Suspended,
            "initial" => HaState::Initial,
            "non-functional" => HaState::NonFunctional,
            _ => return None,
        })
    }
}

/// Running-config synchronisation between the members, as one member records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// `synchronized`.
    Synchronized,
    /// `synchronization in progress` until the instant, then `synchronized`.
    InProgress {
        /// When it completes.
        until: SimInstant,
    },
    /// `not synchronized`.
    NotSynchronized,
}

impl SyncState {
    /// The `running-sync` text at `now`.
    pub fn text(self, now: SimInstant) -> &'static str {
        match self {
            SyncState::Synchronized => "synchronized",
            SyncState::InProgress { until } if until <= now => "synchronized",
            SyncState::InProgress { .. } => "synchronization in progress",
            SyncState::NotSynchronized => "not synchronized",
        }
    }

    /// True when synchronized at `now`.
    pub fn done(self, now: SimInstant) -> bool {
        self.text(now) == "synchronized"
    }
}

/// One member's HA record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaMember {
    /// The peer's serial.
    pub peer: String,
    /// Device priority (lower is preferred).
    pub priority: u32,
    /// Preemption on.
    pub preemptive: bool,
    /// Current state.
    pub state: HaState,
    /// When the state was entered.
    pub state_since: SimInstant,
    /// Last error state and reason (`suspended`, `User requested`), shown by the device.
    pub last_error: Option<(&'static str, &'static str)>,
    /// Running-config sync.
    pub sync: SyncState,
}

impl HaMember {
    /// A member in `state`, synchronized, since simulated zero.
    pub fn new(peer: String, state: HaState, priority: u32, preemptive: bool) -> Self {
        HaMember {
            peer,
            priority,
            preemptive,
            state,
            state_since: SimInstant::default(),
            last_error: None,
            sync: SyncState::Synchronized,
        }
    }

    fn set(&mut self, state: HaState, at: SimInstant) {
        if self.state != state {
            self.state = state;
            self.state_since = at;
        }
    }
}

/// Both members' sync records set to `sync`.
fn set_sync(a: &mut HaMember, b: &mut HaMember, sync: SyncState) {
    a.sync = sync;
    b.sync = sync;
}

/// `me` goes away (reboot starts) at `at`: if it was active and the peer can take over, the peer
/// becomes active. Sync is lost while it is away.
pub fn member_went_down(me: &mut HaMember, peer: &mut HaMember, peer_up: bool, at: SimInstant) {
    if me.state == HaState::Active && peer_up && peer.state == HaState::Passive {
        peer.set(HaState::Active, at);
    }
    set_sync(me, peer, SyncState::NotSynchronized);
}

/// `me` comes back from a reboot at `at`: a suspended member stays suspended; otherwise it is
/// passive beside an active peer, else active. Sync restarts.
pub fn member_came_back(
    me: &mut HaMember,
    peer: &mut HaMember,
    peer_up: bool,
    at: SimInstant,
    sync: Duration,
) {
    if me.state != HaState::Suspended {
        let state = if peer_up && peer.state == HaState::Active {
            HaState::Passive
        } else {
            HaState::Active
        };
        me.state = state;
        me.state_since = at;
        set_sync(
            me,
            peer,
            SyncState::InProgress {
                until: at.after(sync),
            },
        );
    }
}

/// `request high-availability state suspend` on `me`.
pub fn suspend(me: &mut HaMember, peer: &mut HaMember, peer_up: bool, at: SimInstant) {
    let was_active = me.state == HaState::Active;
    me.set(HaState::Suspended, at);
    me.last_error = Some(("suspended", "User requested"));
    if was_active && peer_up && peer.state == HaState::Passive {
        peer.set(HaState::Active, at);
    }
    set_sync(me, peer, SyncState::NotSynchronized);
}

/// `request high-availability state functional` on `me`: back to passive (active if the peer
/// is not active), then sync.
pub fn functional(
    me: &mut HaMember,
    peer: &mut HaMember,
    peer_up: bool,
    at: SimInstant,
    sync: Duration,
) {
    if me.state != HaState::Suspended {
        return;
    }
    let state = if peer_up && peer.state == HaState::Active {
        HaState::Passive
    } else {
        HaState::Active
    };
    me.set(state, at);
    set_sync(
        me,
        peer,
        SyncState::InProgress {
            until: at.after(sync),
        },
    );
}

/// Preemption: once synchronized, a passive preemptive member with the better priority takes
/// the active role back.
pub fn preempt(me: &mut HaMember, peer: &mut HaMember, both_up: bool, now: SimInstant) {
    if both_up
        && me.preemptive
        && peer.preemptive
        && me.priority < peer.priority
        && me.state == HaState::Passive
        && peer.state == HaState::Active
        && me.sync.done(now)
    {
        me.set(HaState::Active, now);
        peer.set(HaState::Passive, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (HaMember, HaMember) {
        (
            HaMember::new("B".into(), HaState::Active, 90, false),
            HaMember::new("A".into(), HaState::Passive, 100, false),
        )
    }

    fn t(s: u64) -> SimInstant {
        SimInstant(Duration::from_secs(s))
    }

    #[test]
    fn suspending_the_active_fails_over_and_functional_returns_to_passive_then_syncs() {
        let (mut a, mut b) = pair();
        suspend(&mut a, &mut b, true, t(10));
        assert_eq!((a.state, b.state), (HaState::Suspended, HaState::Active));
        assert_eq!(a.sync.text(t(10)), "not synchronized");
        functional(&mut a, &mut b, true, t(20), Duration::from_secs(30));
        assert_eq!(a.state, HaState::Passive);
        assert_eq!(a.sync.text(t(30)), "synchronization in progress");
        assert_eq!(b.sync.text(t(50)), "synchronized");
    }

    #[test]
    fn reboot_of_the_active_moves_the_active_role() {
        let (mut a, mut b) = pair();
        member_went_down(&mut a, &mut b, true, t(5));
        assert_eq!(b.state, HaState::Active);
        member_came_back(&mut a, &mut b, true, t(100), Duration::from_secs(30));
        assert_eq!(a.state, HaState::Passive);
        assert!(!a.sync.done(t(120)));
        assert!(a.sync.done(t(130)));
    }

    #[test]
    fn a_preemptive_better_priority_member_takes_back_the_active_role_after_sync() {
        let (mut a, mut b) = pair();
        a.preemptive = true;
        b.preemptive = true;
        member_went_down(&mut a, &mut b, true, t(5));
        member_came_back(&mut a, &mut b, true, t(100), Duration::from_secs(30));
        preempt(&mut a, &mut b, true, t(110));
        assert_eq!(a.state, HaState::Passive);
        preempt(&mut a, &mut b, true, t(130));
        assert_eq!((a.state, b.state), (HaState::Active, HaState::Passive));
    }
}
