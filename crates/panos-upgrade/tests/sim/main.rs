//! End-to-end tests of the upgrade engine against the in-process Panorama simulator, over real
//! HTTP on loopback, with both clocks scaled (the simulator's and the engine's) so a
//! twenty-minute upgrade takes about a second. Assertions read the simulator's request log:
//! what was sent, in which order, and never twice.

mod cancel;
mod common;
mod faults;
mod ha_pair;
mod learned;
mod lost_answers;
mod property;
mod resume;
mod standalone;
