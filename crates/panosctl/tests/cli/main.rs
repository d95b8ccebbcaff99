//! End-to-end tests of the `panosctl` binary in temporary state directories: every command,
//! happy paths and bad input (unknown serial, bad version, daemon not running, malformed
//! config), snapshots of the human output, and a small demo run.

mod common;
mod config;
mod daemon;
mod demo;
mod devices;
mod jobs;
mod live;
mod paths;
