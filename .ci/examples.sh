#!/usr/bin/env bash
# Runs every example of every workspace package to completion, each bounded by a timeout:
# an example is runnable documentation (the README's minimal port among them), so one that
# fails its own assertions or hangs fails CI. Examples are found by directory, so a new one
# is run without being listed here.
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLE_TIMEOUT="${EXAMPLE_TIMEOUT:-120}"
failed=()
ran=0
start=$(date +%s)
# Every workspace package with an examples/ directory (the facade at the root included).
while IFS= read -r manifest; do
  dir="$(dirname "$manifest")"
  [[ -d "$dir/examples" ]] || continue
  package="$(sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -n 1)"
  cargo build --release -q -p "$package" --examples
  for file in "$dir"/examples/*.rs; do
    example="$(basename "$file" .rs)"
    echo "--- $package: $example"
    t0=$(date +%s)
    status=0
    timeout --kill-after=10 "$EXAMPLE_TIMEOUT" cargo run --release -q -p "$package" --example "$example" >/tmp/threadteam-example.log 2>&1 || status=$?
    ran=$((ran + 1))
    if ((status == 0)); then
      echo "    ok ($(( $(date +%s) - t0 ))s)"
    else
      if ((status == 124 || status == 137)); then
        echo "    TIMED OUT after ${EXAMPLE_TIMEOUT}s"
      else
        echo "    FAILED (exit $status)"
      fi
      tail -n 20 /tmp/threadteam-example.log | sed 's/^/    | /'
      failed+=("$package/$example")
    fi
  done
done < <(printf "%s\n" ./Cargo.toml ./core/Cargo.toml ./backends/*/Cargo.toml ./benches/Cargo.toml ./tests/interop/Cargo.toml)
rm -f /tmp/threadteam-example.log
echo "examples: $ran run in $(( $(date +%s) - start ))s, ${#failed[@]} failed${failed:+: ${failed[*]}}"
((${#failed[@]} == 0))
