#!/usr/bin/env bash
# FreeRTOS on emulated Cortex-M: backends/freertos/firmware on QEMU, the real FreeRTOS V11.2.0
# kernel's Cortex-M ports with threadteam's FreeRTOS backend.
#
# 1. Builds (release) for the Cortex-M3 (thumbv7m-none-eabi, port GCC/ARM_CM3, QEMU
#    mps2-an385) and the Cortex-M4F (thumbv7em-none-eabihf, port GCC/ARM_CM4F, QEMU
#    mps2-an386), in both configurations: no-alloc (`team`, `footprint`, `empty`,
#    `overflow`: no allocator, no `#[global_allocator]`, a kernel without heap) and alloc
#    (`pool`, `footprint`, `empty`: the FreeRTOS heap is the allocator).
# 2. Runs `team` and `pool` FREERTOS_FIRMWARE_RUNS times each per board (default 100), each
#    run under `timeout 20`: a deadlock fails the run instead of hanging CI. Stops at the
#    first failed or hung run and prints its output.
#    Runs `overflow` once per board: a task that overflows its stack must stop the program
#    with its name.
# 3. Figures: each task's stack high-water mark and the static and heap memory (from the
#    last runs' FIGURE lines), and the flash and RAM of a FreeRTOS pool next to an empty
#    FreeRTOS program (`arm-none-eabi-size`).
#
# Needs qemu-system-arm, arm-none-eabi-gcc (with newlib's headers), arm-none-eabi-size and the
# two Rust targets (`.ci/run` installs them). Leaves nothing behind but the firmware's target/.
set -euo pipefail
cd "$(dirname "$0")/../backends/freertos/firmware"

runs="${FREERTOS_FIRMWARE_RUNS:-100}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "FAILED: FREERTOS_FIRMWARE_RUNS must be a positive number of runs, not '$runs'" >&2
  exit 2
fi
for tool in qemu-system-arm arm-none-eabi-gcc arm-none-eabi-size timeout; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAILED: $tool not found (Debian: apt-get install qemu-system-arm gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-dev)" >&2
    exit 1
  fi
done

# The link script (-Tlink.x) comes from the targets' rustflags in .cargo/config.toml, which
# RUSTFLAGS would replace (CI exports it); warnings are denied through a merged --config.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
targets=(thumbv7m-none-eabi thumbv7em-none-eabihf)
cargo_flags=(--release)
for t in "${targets[@]}"; do
  cargo_flags+=(--config "target.$t.rustflags = [\"-D\", \"warnings\"]")
done

board() {
  case "$1" in
    thumbv7m-none-eabi) echo mps2-an385 ;;
    thumbv7em-none-eabihf) echo mps2-an386 ;;
  esac
}
# Keep in step with the runners in backends/freertos/firmware/.cargo/config.toml.
qemu() {
  local target="$1" elf="$2" cpu=cortex-m3
  [[ "$target" == thumbv7em-none-eabihf ]] && cpu=cortex-m4
  timeout -k 5 20 qemu-system-arm -cpu "$cpu" -machine "$(board "$target")" -nographic \
    -semihosting-config enable=on,target=native -kernel "$elf" </dev/null
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

# config: "no-alloc" (target/) or "alloc" (target/alloc, --features alloc).
elf_dir() {
  if [[ "$2" == alloc ]]; then echo "target/alloc/$1/release"; else echo "target/$1/release"; fi
}
build() {
  local target="$1" config="$2" started
  local flags=("${cargo_flags[@]}" --target "$target")
  if [[ "$config" == alloc ]]; then
    flags+=(--features alloc --target-dir target/alloc --bin pool --bin footprint --bin empty)
  else
    flags+=(--bin team --bin footprint --bin empty --bin overflow)
  fi
  started="$(now)"
  if ! cargo build "${flags[@]}" >"$logs/build.log" 2>&1; then
    echo "FAILED: cargo build ${flags[*]} (in backends/freertos/firmware):"
    cat "$logs/build.log"
    exit 1
  fi
  echo "built the $config firmware for $target in $(since "$started")s"
}

echo "--- build (release, opt-level z, LTO, one codegen unit)"
for t in "${targets[@]}"; do
  build "$t" no-alloc
  build "$t" alloc
done

echo
echo "--- runs: ${runs} per binary and board, each under timeout 20 s"
for t in "${targets[@]}"; do
  b="$(board "$t")"
  for bin in team pool; do
    config=no-alloc
    [[ "$bin" == pool ]] && config=alloc
    elf="$(elf_dir "$t" "$config")/$bin"
    started="$(now)"
    for ((i = 1; i <= runs; i++)); do
      status=0
      qemu "$t" "$elf" >"$logs/run.log" 2>&1 || status=$?
      if ((status != 0)) || ! grep -q "^$bin $b: PASS" "$logs/run.log"; then
        case "$status" in
          124 | 137) why="hung: killed by timeout after 20 s" ;;
          0) why="exit status 0 without a PASS line" ;;
          *) why="exit status $status" ;;
        esac
        echo "FAILED: $bin on $b ($t), run $i of $runs: $why; its output:"
        cat "$logs/run.log"
        exit 1
      fi
    done
    elapsed="$(since "$started")"
    echo "$bin on $b ($t): $runs/$runs passed in ${elapsed}s ($(awk -v e="$elapsed" -v n="$runs" 'BEGIN { printf "%.2f", e / n }')s a run); last: $(grep "^$bin $b: PASS" "$logs/run.log")"
    cp "$logs/run.log" "$logs/$t.$bin.log"
  done
done

echo
echo "--- a task that overflows its stack stops the program with its name (configCHECK_FOR_STACK_OVERFLOW 2)"
for t in "${targets[@]}"; do
  b="$(board "$t")"
  status=0
  qemu "$t" "$(elf_dir "$t" no-alloc)/overflow" >"$logs/overflow.log" 2>&1 || status=$?
  if ((status != 1)) || ! grep -q "FreeRTOS task 'deep' overflowed its stack" "$logs/overflow.log"; then
    echo "FAILED: overflow on $b ($t): exit status $status, expected 1 with the overflow reported; its output:"
    cat "$logs/overflow.log"
    exit 1
  fi
  echo "overflow on $b ($t): caught: $(grep -o 'FreeRTOS task .*' "$logs/overflow.log")"
done

echo
echo "--- figures (from the last runs)"
for t in "${targets[@]}"; do
  echo "$t ($(board "$t")):"
  # Worker stacks: the range of bytes used per scenario (of the 2 KiB each has).
  grep -h '^FIGURE stack worker' "$logs/$t.team.log" "$logs/$t.pool.log" |
    awk '{ s = $4; u = $7; t = $9; if (!(s in lo) || u < lo[s]) lo[s] = u; if (u > hi[s]) hi[s] = u; n[s]++; of[s] = t }
      END { for (s in n) printf "  stack, %d %s workers: %d-%d B used of %d B\n", n[s], s, lo[s], hi[s], of[s] }' | sort
  grep -h '^FIGURE stack \(coordinator\|helper\)' "$logs/$t.team.log" |
    awk '{ r = $3; sub(":", "", r); u = $5; t = $7; if (!(r in lo) || u < lo[r]) lo[r] = u; if (u > hi[r]) hi[r] = u; n[r]++; of[r] = t }
      END { for (r in n) printf "  stack, %d %s task(s): %d-%d B used of %d B\n", n[r], r, lo[r], hi[r], of[r] }' | sort
  grep -h '^FIGURE \(static\|heap\)' "$logs/$t.team.log" "$logs/$t.pool.log" | sed 's/^FIGURE /  /'
done

echo
echo "--- flash and RAM, bytes (arm-none-eabi-size; flash = text + data, RAM = data + bss, stacks of"
echo "    static tasks included, the main stack not): a FreeRTOS pool next to an empty FreeRTOS program"
printf '%-22s %-9s %-10s %7s %6s %7s %7s %7s %12s %10s\n' target config binary text data bss flash RAM "flash +pool" "RAM +pool"
for t in "${targets[@]}"; do
  b="$(board "$t")"
  for config in no-alloc alloc; do
    dir="$(elf_dir "$t" "$config")"
    for bin in empty footprint; do
      status=0
      qemu "$t" "$dir/$bin" >"$logs/$bin.log" 2>&1 || status=$?
      if ((status != 0)); then
        echo "FAILED: $bin ($config) on $b ($t): exit status $status; its output:"
        cat "$logs/$bin.log"
        exit 1
      fi
    done
    read -r et ed eb _ < <(arm-none-eabi-size -B "$dir/empty" | tail -n 1)
    for bin in empty footprint team pool; do
      [[ -f "$dir/$bin" ]] || continue
      [[ "$config" == alloc && "$bin" == team ]] && continue
      [[ "$config" == no-alloc && "$bin" == pool ]] && continue
      read -r text data bss _ < <(arm-none-eabi-size -B "$dir/$bin" | tail -n 1)
      delta_flash="" delta_ram=""
      if [[ "$bin" != empty ]]; then
        delta_flash="$((text + data - et - ed))"
        delta_ram="$((data + bss - ed - eb))"
      fi
      printf '%-22s %-9s %-10s %7d %6d %7d %7d %7d %12s %10s\n' \
        "$t" "$config" "$bin" "$text" "$data" "$bss" "$((text + data))" "$((data + bss))" "$delta_flash" "$delta_ram"
    done
  done
done
echo "empty: the kernel, its idle task and this crate's glue; footprint: the smallest pool (two"
echo "workers, four items: a static Fixed<8, 2> Team of TaskWorkers under a FreeRtosLock, or pool()"
echo "with boxed work); team and pool: the test binaries. The alloc configuration's RAM includes its"
echo "48 KiB FreeRTOS heap; the no-alloc one's includes each static task's stack (2 KiB a worker)."
