//! The shared-directory protocol between the panos-upgrade daemon and the programs that drive
//! it (the web application, `panosctl`): the layout of the state directory ([`StateDir`]),
//! the JSON file types with their schemas ([`types`], [`schema`]), atomic writes and guarded
//! reads ([`fsio`]), the job and command queues, quarantine of bad files, the single-instance
//! lock ([`StateLock`]) and the file watcher ([`QueueWatcher`]).
//!
//! Invariants: nothing here talks to a device or depends on another panos crate; no file is
//! ever edited in place (temp + rename, with an fsync of the file and of the directory for
//! every file but the status files); a bad input file is moved aside with a reason, never
//! deleted, and never stops the queue. The I/O is blocking: an async daemon calls it under
//! `spawn_blocking`. `docs/protocol.md` describes the protocol for web-app authors.

mod commands;
mod error;
pub mod fsio;
mod jobs;
mod layout;
mod lock;
mod quarantine;
mod scan;
pub mod schema;
mod status_io;
pub mod types;
mod watch;

pub use commands::{IncomingCommand, command_file_name};
pub use error::{QueueError, Result};
pub use fsio::{
    DIR_MODE, FILE_MODE, MAX_FILE_SIZE, SECRET_MODE, atomic_create, atomic_write,
    atomic_write_mode, atomic_write_nosync, write_json, write_json_nosync,
};
pub use jobs::{ActiveJob, read_job_file};
pub use layout::{DEFAULT_STATE_DIR, QueueFolder, STATE_DIR_ENV, StateDir, file_timestamp};
pub use lock::{StateLock, read_lock_pid};
pub use quarantine::{RejectedFile, Rejection, reason_path};
pub use scan::{PendingIndex, PendingJob, Scan, UNFINISHED_GRACE, merge_pending};
pub use types::ProtocolFile;
pub use types::command::{
    CancelTarget, Command, CommandAction, CommandKind, CommandResult, CommandStatus,
};
pub use types::ids::{CommandId, JobId, PairName, SCHEMA_VERSION, SchemaVersion, Serial, Version};
pub use types::job::{
    DeviceOutcome, DeviceResult, Job, JobKind, JobOptions, JobOutcome, JobResult, PostflightPolicy,
};
pub use types::status::{
    DaemonCounters, DaemonState, DaemonStatus, DeviceState, DeviceStatus, DurationHistogram,
    HaMember, HaPairState, HaPairStatus, HistogramBucket, QueueDepths, WorkerCounts, WorkerSlot,
    WorkersStatus,
};
pub use types::validation::{Phase, ValidationRecord};
pub use watch::{Hint, QueueWatcher};
