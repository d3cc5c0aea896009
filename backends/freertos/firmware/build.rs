//! Puts `memory.x` (read by cortex-m-rt's `link.x`) where the linker finds it, and names the
//! board the target runs on.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let board = match target.as_str() {
        "thumbv7m-none-eabi" => "mps2-an385",
        "thumbv7em-none-eabihf" => "mps2-an386",
        other => panic!(
            "threadteam-freertos-firmware runs on thumbv7m-none-eabi (QEMU mps2-an385) or thumbv7em-none-eabihf (QEMU mps2-an386), not {other}"
        ),
    };
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-env=FIRMWARE_BOARD={board}");
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
}
