//! The std backend of threadteam: OS threads for the `no_std` core.
#![forbid(unsafe_code)]

mod signal;
mod factory;

pub use factory::{SpawnError, StdThreadFactory};
pub use signal::StdSignal;
