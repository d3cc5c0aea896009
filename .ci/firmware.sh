#!/usr/bin/env bash
# Emulated microcontrollers: the firmware package in tests/firmware on QEMU.
#
# 1. `isr_submit` (a static no-alloc Team fed from the SysTick handler) for the Cortex-M3
#    (thumbv7m-none-eabi, QEMU lm3s6965evb) and the Cortex-M0 (thumbv6m-none-eabi, QEMU
#    microbit), release build, run FIRMWARE_RUNS times each (default 100), each run under
#    `timeout 10`: a deadlock fails the run instead of hanging CI. Stops at the first
#    failed or hung run and prints its output.
# 2. Footprint: `empty` and `footprint` for both targets, their sections as
#    `arm-none-eabi-size` reports them, and what the Team adds over the empty program.
#
# Needs qemu-system-arm, arm-none-eabi-size and the two Rust targets (`.ci/run` installs
# them). Leaves nothing behind but tests/firmware/target.
set -euo pipefail
cd "$(dirname "$0")/../tests/firmware"

runs="${FIRMWARE_RUNS:-100}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "FAILED: FIRMWARE_RUNS must be a positive number of runs, not '$runs'" >&2
  exit 2
fi
for tool in qemu-system-arm arm-none-eabi-size timeout; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAILED: $tool not found (Debian: apt-get install qemu-system-arm binutils-arm-none-eabi)" >&2
    exit 1
  fi
done

# The link script (-Tlink.x) comes from the targets' rustflags in .cargo/config.toml, which
# RUSTFLAGS would replace (CI exports it); warnings are denied through a merged --config.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
targets=(thumbv7m-none-eabi thumbv6m-none-eabi)
cargo_flags=(--release)
for t in "${targets[@]}"; do
  cargo_flags+=(--config "target.$t.rustflags = [\"-D\", \"warnings\"]")
done

board() {
  case "$1" in
    thumbv7m-none-eabi) echo lm3s6965evb ;;
    thumbv6m-none-eabi) echo microbit ;;
  esac
}
# Keep in step with the runners in tests/firmware/.cargo/config.toml.
qemu() {
  local target="$1" elf="$2"
  local machine=(-cpu cortex-m3 -machine lm3s6965evb)
  [[ "$target" == thumbv6m-none-eabi ]] && machine=(-machine microbit)
  timeout -k 5 10 qemu-system-arm "${machine[@]}" -nographic -semihosting-config enable=on,target=native \
    -kernel "$elf" </dev/null
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

build() {
  local target="$1"
  shift
  local started
  started="$(now)"
  if ! cargo build "${cargo_flags[@]}" --target "$target" "$@" >"$logs/build.log" 2>&1; then
    echo "FAILED: cargo build --release --target $target $* (in tests/firmware):"
    cat "$logs/build.log"
    exit 1
  fi
  echo "built $* for $target in $(since "$started")s"
}

echo "--- isr_submit: SysTick handler submits while main performs, ${runs} runs per board"
for t in "${targets[@]}"; do
  b="$(board "$t")"
  build "$t" --bin isr_submit
  elf="target/$t/release/isr_submit"
  started="$(now)"
  for ((i = 1; i <= runs; i++)); do
    status=0
    qemu "$t" "$elf" >"$logs/run.log" 2>&1 || status=$?
    if ((status != 0)) || ! grep -q "^isr_submit $b: PASS" "$logs/run.log"; then
      case "$status" in
        124 | 137) why="hung: killed by timeout after 10 s" ;;
        0) why="exit status 0 without a PASS line" ;;
        *) why="exit status $status" ;;
      esac
      echo "FAILED: isr_submit on $b ($t), run $i of $runs: $why; its output:"
      cat "$logs/run.log"
      exit 1
    fi
  done
  elapsed="$(since "$started")"
  echo "isr_submit on $b ($t): $runs/$runs passed in ${elapsed}s ($(awk -v e="$elapsed" -v n="$runs" 'BEGIN { printf "%.2f", e / n }')s a run)"
  echo "  last run: $(grep "^isr_submit $b: PASS" "$logs/run.log")"
done

echo
echo "--- footprint: release, opt-level z, LTO, one codegen unit, a panic handler that prints no message; bytes (arm-none-eabi-size)"
for t in "${targets[@]}"; do
  build "$t" --features terse-panic --bin empty --bin footprint
done
declare -A flash=() ram=() slot=()
rows=()
for t in "${targets[@]}"; do
  b="$(board "$t")"
  for bin in empty footprint; do
    elf="target/$t/release/$bin"
    status=0
    qemu "$t" "$elf" >"$logs/$bin.log" 2>&1 || status=$?
    if ((status != 0)); then
      echo "FAILED: $bin on $b ($t): exit status $status; its output:"
      cat "$logs/$bin.log"
      exit 1
    fi
    read -r text data bss _ < <(arm-none-eabi-size -B "$elf" | tail -n 1)
    flash[$t.$bin]=$((text + data))
    ram[$t.$bin]=$((data + bss))
    delta_flash="" delta_ram=""
    if [[ "$bin" == footprint ]]; then
      delta_flash="$((flash[$t.footprint] - flash[$t.empty]))"
      delta_ram="$((ram[$t.footprint] - ram[$t.empty]))"
      slot[$t]="$(grep -o 'team_slot=[0-9]*' "$logs/$bin.log" | cut -d= -f2 || true)"
      if [[ -z "${slot[$t]}" ]]; then
        echo "FAILED: footprint on $b ($t) printed no team_slot size; its output:"
        cat "$logs/$bin.log"
        exit 1
      fi
    fi
    rows+=("$(printf '%-20s %-10s %7d %6d %6d %7d %6d %12s %10s' \
      "$t" "$bin" "$text" "$data" "$bss" "${flash[$t.$bin]}" "${ram[$t.$bin]}" "$delta_flash" "$delta_ram")")
  done
done
printf '%-20s %-10s %7s %6s %6s %7s %6s %12s %10s\n' target binary text data bss flash RAM "flash +Team" "RAM +Team"
printf '%s\n' "${rows[@]}"
echo "flash = text + data; RAM = data + bss (the stack not counted); +Team = footprint minus empty."
for t in "${targets[@]}"; do
  echo "TeamSlot of footprint's Team (Fixed<8, 2>, 2 memory workers, CriticalSectionLock) on $t: ${slot[$t]} B"
done
