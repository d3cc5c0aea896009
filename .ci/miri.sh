#!/usr/bin/env bash
# Miri over the core's tests and doctests (nightly). If nightly or the Miri component cannot
# be had, print one line saying Miri did not run, and succeed: the rest of CI still counts.
set -uo pipefail
cd "$(dirname "$0")/.."
skip() { echo "Miri did not run: $*"; exit 0; }

rustup toolchain list 2>/dev/null | grep -q '^nightly' \
    || rustup toolchain install nightly --profile minimal >/dev/null 2>&1 \
    || skip "no nightly toolchain and it could not be installed"
cargo +nightly miri --version >/dev/null 2>&1 \
    || rustup component add miri rust-src --toolchain nightly >/dev/null 2>&1 \
    || skip "the miri component could not be installed on nightly"
cargo +nightly miri setup >/dev/null 2>&1 || skip "cargo miri setup failed (no rust-src?)"

set -e
# Warnings are clippy's job (on stable); a new nightly lint must not fail this step.
unset RUSTFLAGS
# Isolation off: proptest asks for the working directory (its failure-persistence file) and
# the adaptive tests read the clock. Unit and integration tests run with leak checks.
export MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-disable-isolation"
# The property tests (model, adaptive) run natively: under Miri a few hundred cases take
# tens of minutes, and they exercise the same code the tests below do.
cargo +nightly miri test -p threadteam-core --features std --lib \
    --test handoff --test team --test fixed --test thread_worker --test quit_statistics --test task --test lane
# These tests leak their workers on purpose (Box::leak, for the &'static a re-entrant item
# needs), so leaks are not errors there; every other Miri check still applies.
MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-ignore-leaks" cargo +nightly miri test -p threadteam-core --features std --test workers --test contexts
# The one module with `unsafe` in the project: scoped work in the std backend.
cargo +nightly miri test -p threadteam-std --test scope
# Doctests: some examples leak a worker on purpose (Box::leak for a &'static), so leaks
# are not errors there.
MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-ignore-leaks" cargo +nightly miri test -p threadteam-core --features std --doc
