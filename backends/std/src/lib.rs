//! The std backend of threadteam: OS threads for the `no_std` core.
#![forbid(unsafe_code)]

mod factory;
mod signal;

pub use factory::{SpawnError, StdThreadFactory};
pub use signal::StdSignal;
