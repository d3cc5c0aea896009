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
# Unit and integration tests, with leak checks.
cargo +nightly miri test -p threadteam-core --features std --tests
# Doctests: some examples leak a worker on purpose (Box::leak for a &'static), so leaks
# are not errors there.
MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-ignore-leaks" cargo +nightly miri test -p threadteam-core --features std --doc
