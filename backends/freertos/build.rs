//! Builds the FreeRTOS V11.2.0 kernel bundled in freertos-next (through freertos-build) with
//! our configuration (`freertos/FreeRTOSConfig.h`) and glue (`freertos/glue.c`):
//!
//! - host targets: the POSIX port, with the host C compiler (the tests' fast loop);
//! - `thumbv7m-none-eabi` (GCC/ARM_CM3), `thumbv7em-none-eabihf` (GCC/ARM_CM4F) and the other
//!   targets freertos-build knows: that port, with `arm-none-eabi-gcc`.
//!
//! With the `alloc` feature the kernel has a heap (heap_4) and freertos-next's C shim, so
//! freertos-next's wrappers work too; without it the kernel is static-only
//! (configSUPPORT_DYNAMIC_ALLOCATION 0) and has no heap at all.
//!
//! Knobs (environment variables, read at build time):
//! - `THREADTEAM_FREERTOS_HEAP_BYTES`: configTOTAL_HEAP_SIZE with `alloc` (default 4 MiB on a
//!   host, 48 KiB on a microcontroller);
//! - `THREADTEAM_FREERTOS_CPU_HZ`: configCPU_CLOCK_HZ on a microcontroller, which the port's
//!   SysTick set-up needs (default 25 MHz, the Arm MPS2 boards' clock);
//! - `THREADTEAM_FREERTOS_COOPERATIVE=1`: no preemption (tasks switch only inside FreeRTOS
//!   calls), to compare the two scheduling modes.

use std::env;
use std::path::PathBuf;

/// Words of the Rust-side buffers for `StaticTask_t` and `StaticSemaphore_t`, by pointer
/// width. They are a little larger than the default configuration needs (32-bit: 84 and 72
/// bytes; 64-bit: 144 and 144), so that `configUSE_TRACE_FACILITY` still fits; glue.c checks
/// them with `_Static_assert`.
const TCB_WORDS_32: usize = 24;
const SEMAPHORE_WORDS_32: usize = 20;
const TCB_WORDS_64: usize = 20;
const SEMAPHORE_WORDS_64: usize = 20;

fn knob(name: &str) -> Option<usize> {
    println!("cargo:rerun-if-env-changed={name}");
    let value = env::var(name).ok()?;
    Some(value.trim().parse().unwrap_or_else(|_| panic!("{name}={value:?} is not a number")))
}

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let alloc = env::var_os("CARGO_FEATURE_ALLOC").is_some();
    let mcu = env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none");
    let pointer_bits: usize = env::var("CARGO_CFG_TARGET_POINTER_WIDTH").unwrap().parse().unwrap();
    let (tcb_words, semaphore_words) = match pointer_bits {
        32 => (TCB_WORDS_32, SEMAPHORE_WORDS_32),
        64 => (TCB_WORDS_64, SEMAPHORE_WORDS_64),
        bits => panic!("threadteam-freertos: {bits}-bit targets are not supported"),
    };
    let word = pointer_bits / 8;

    let mut b = freertos_build::Builder::new();
    b.freertos_config_dir(dir.join("freertos"));
    // Words. On the POSIX port a task's FreeRTOS stack only holds the port's thread
    // bookkeeping (Rust code runs on the pthread's own stack); on a microcontroller it is
    // the idle task's stack.
    b.minimal_stack_size(if mcu { 128 } else { 4096 });
    b.max_task_priorities(8);
    if mcu {
        let hz = knob("THREADTEAM_FREERTOS_CPU_HZ").unwrap_or(25_000_000);
        b.get_cc().define("configCPU_CLOCK_HZ", hz.to_string().as_str());
    }
    if alloc {
        // Every task's TCB and stack come from this heap; on the host each task is cheap
        // but tests start many.
        let default = if mcu { 48 * 1024 } else { 4 * 1024 * 1024 };
        b.heap_size(knob("THREADTEAM_FREERTOS_HEAP_BYTES").unwrap_or(default));
        b.add_build_file(dir.join("freertos/glue.c"));
    } else {
        // freertos-next's shim.c calls the dynamic API, which a static-only kernel lacks: our
        // glue takes its place, and there is no heap file to compile.
        b.shim_file(dir.join("freertos/glue.c"));
        b.heap(dir.join("freertos/no_heap.c"));
    }
    let cc = b.get_cc();
    cc.define("THREADTEAM_ALLOC", if alloc { "1" } else { "0" });
    cc.define("THREADTEAM_TCB_BYTES", (tcb_words * word).to_string().as_str());
    cc.define("THREADTEAM_SEMAPHORE_BYTES", (semaphore_words * word).to_string().as_str());
    println!("cargo:rerun-if-env-changed=THREADTEAM_FREERTOS_COOPERATIVE");
    if env::var("THREADTEAM_FREERTOS_COOPERATIVE").as_deref() == Ok("1") {
        b.use_preemption(false);
    }
    b.compile().expect("compiling the FreeRTOS kernel failed");
    println!("cargo:rerun-if-changed=freertos");

    let sizes = format!(
        "/// Words (pointer-sized) of the buffer for a `StaticTask_t`.\n\
         pub(crate) const TCB_WORDS: usize = {tcb_words};\n\
         /// Words (pointer-sized) of the buffer for a `StaticSemaphore_t`.\n\
         pub(crate) const SEMAPHORE_WORDS: usize = {semaphore_words};\n"
    );
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    std::fs::write(out.join("sizes.rs"), sizes).unwrap();
}
