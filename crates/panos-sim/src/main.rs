//! `panos-sim`: runs the simulator (work in progress).

fn main() {}
