//! End-to-end tests of the daemon: `panosd::run` in-process against the in-process Panorama
//! simulator over loopback HTTP, in a temporary state directory, with both clocks scaled so
//! an upgrade takes about a second. Jobs and commands go in as files, as the web app writes
//! them; assertions read the files the daemon writes and the simulator's request log.

mod common;
mod fleet;
mod jobs;
mod lifecycle;
mod process;
