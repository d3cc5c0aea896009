//! Nothing to use here: this package holds tests and examples of threadteam with other
//! crates (see `tests/` and `examples/`), kept apart so that building the facade's own
//! examples does not build those crates.
