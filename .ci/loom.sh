#!/usr/bin/env bash
# loom model tests of the core's hand-offs (core/tests/loom.rs). A separate target dir keeps
# the --cfg build from invalidating the normal one. LOOM_MAX_PREEMPTIONS defaults to 2.
set -euo pipefail
cd "$(dirname "$0")/.."
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
RUSTFLAGS="${RUSTFLAGS:-} --cfg threadteam_loom" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/loom" \
    cargo test -p threadteam-core --features std --test loom --release
