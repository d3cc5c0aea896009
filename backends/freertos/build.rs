//! Builds the FreeRTOS V11.2.0 kernel bundled in freertos-next, with its POSIX port, using the
//! host C compiler (through freertos-build), plus our glue in `freertos/`.

fn main() {
    let mut b = freertos_build::Builder::new();
    // Every task's TCB and "stack" come from this heap; the default 16 KiB runs out at once.
    b.heap_size(4 * 1024 * 1024);
    // Words. On the POSIX port the FreeRTOS stack only holds the port's thread bookkeeping:
    // Rust code runs on the pthread's own stack.
    b.minimal_stack_size(4096);
    // UserConfig.h is #included at the top of freertos-next's FreeRTOSConfig.h.
    b.user_config_dir("freertos");
    b.add_build_file("freertos/glue.c");
    // THREADTEAM_FREERTOS_COOPERATIVE=1 builds the kernel without preemption (tasks switch
    // only inside FreeRTOS calls), to compare the two scheduling modes.
    println!("cargo:rerun-if-env-changed=THREADTEAM_FREERTOS_COOPERATIVE");
    if std::env::var("THREADTEAM_FREERTOS_COOPERATIVE").as_deref() == Ok("1") {
        b.use_preemption(false);
    }
    b.compile().expect("compiling the FreeRTOS kernel (POSIX port) failed");
    println!("cargo:rerun-if-changed=freertos");
}
