//! The std backend of threadteam: OS threads for the `no_std` core.
#![forbid(unsafe_code)]

mod adaptive;
mod clock;
mod factory;
mod signal;

pub use adaptive::{AdaptivePool, AdaptivePoolBuilder, AdaptiveTeam};
pub use clock::StdClock;
pub use factory::{SpawnError, StdThreadFactory};
pub use signal::StdSignal;
