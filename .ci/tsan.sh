#!/usr/bin/env bash
# ThreadSanitizer over the tests that run real threads: the std backend's own tests and the
# facade's real-thread tests (pools, ThreadPool, thread workers, scope, LockWorker racing
# quit, the nested and unrunnable cases, the stress and fault tests at a reduced size).
# Nightly with rust-src (std itself is rebuilt instrumented, or TSan reports false races in
# it); one SKIPPED line if either cannot be installed. Its own target directory, so the
# instrumented build never invalidates the normal one.
set -euo pipefail
cd "$(dirname "$0")/.."

target="x86_64-unknown-linux-gnu"
if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "SKIPPED: ThreadSanitizer not run: the job is set up for $target only"
  exit 0
fi
if ! rustup toolchain install nightly --profile minimal --component rust-src >/tmp/threadteam-tsan-install.log 2>&1; then
  tail -n 5 /tmp/threadteam-tsan-install.log | sed 's/^/  | /'
  echo "SKIPPED: ThreadSanitizer not run: the nightly toolchain with rust-src could not be installed"
  exit 0
fi
rm -f /tmp/threadteam-tsan-install.log

start=$(date +%s)
export RUSTFLAGS="-Zsanitizer=thread"
export RUSTDOCFLAGS="-Zsanitizer=thread"
# No suppressions: every report is a real finding. Exit at the first report with a failure,
# and keep the report short enough to read in a CI log.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4"
# The stress and fault tests at a size TSan runs in seconds (it slows threads 5-15x).
export THREADTEAM_STRESS_TASKS=2000 THREADTEAM_FAULT_TASKS=1000
tsan() {
  cargo +nightly test -Zbuild-std --target "$target" --target-dir target/tsan "$@"
}
tsan -p threadteam-std --lib --test scope
tsan -p threadteam --test std_pool --test std_thread_pool --test std_thread_worker --test lock_worker_quit_race \
  --test adaptive_nested --test unrunnable --test stress --test stress_thread_pool --test faults
echo "ThreadSanitizer: no race reported ($(( $(date +%s) - start ))s)"
