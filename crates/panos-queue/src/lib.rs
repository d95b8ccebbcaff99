//! The shared-directory protocol (work in progress).
