//! Picks the memory map (`memory.x`, read by cortex-m-rt's `link.x`) for the target's board.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let board = match target.as_str() {
        "thumbv7m-none-eabi" => "lm3s6965evb",
        "thumbv6m-none-eabi" => "microbit",
        other => panic!(
            "threadteam-firmware runs on thumbv7m-none-eabi (QEMU lm3s6965evb) or thumbv6m-none-eabi (QEMU microbit), not {other}"
        ),
    };
    let source = format!("memory/{board}.x");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy(&source, out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-env=FIRMWARE_BOARD={board}");
    println!("cargo:rustc-check-cfg=cfg(board, values(\"lm3s6965evb\", \"microbit\"))");
    println!("cargo:rustc-cfg=board=\"{board}\"");
    println!("cargo:rerun-if-changed={source}");
    println!("cargo:rerun-if-changed=build.rs");
}
