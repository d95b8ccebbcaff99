//! `panosd`: parses the command line, reads the configuration, and runs the daemon until
//! SIGTERM or SIGINT.

fn main() {}
