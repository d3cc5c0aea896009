//! Offloading blocking work from async code, Twisted's `deferToThread` style: hash files on
//! a threadteam pool and await the results, first under tokio, then under
//! `futures::executor::block_on`. The same `JoinHandle` future works under both.
//!
//! Run with `cargo run --example async_offload`.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::Hasher;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use threadteam::{pool, StdSignal, StdThreadFactory, ThreadTeam, Worker};

/// Blocking work: read a file and hash its contents.
fn hash_file(path: &Path) -> io::Result<u64> {
    let mut file = fs::File::open(path)?;
    let mut hasher = DefaultHasher::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.write(&buf[..n]);
    }
}

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> io::Result<Self> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("threadteam-offload-{}-{nanos}", std::process::id()));
        fs::create_dir(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn create_files(dir: &Path, count: usize) -> io::Result<Vec<PathBuf>> {
    (0..count)
        .map(|i| {
            let path = dir.join(format!("file-{i}.txt"));
            fs::write(&path, format!("file {i}\n").repeat(10_000 * (i + 1)))?;
            Ok(path)
        })
        .collect()
}

/// Hashes every file on the pool and awaits the results, on whatever executor runs it.
async fn hash_all(pool: &ThreadTeam<StdSignal>, files: &[PathBuf]) -> Vec<(PathBuf, u64)> {
    // Start them all, then await each: the pool hashes in parallel meanwhile.
    let handles: Vec<_> = files
        .iter()
        .map(|path| {
            let path = path.clone();
            pool.spawn(move || hash_file(&path)).expect("the pool is running")
        })
        .collect();
    let mut results = Vec::new();
    for (path, handle) in files.iter().zip(handles) {
        let hash = handle.await.expect("hashing did not panic").expect("the file is readable");
        results.push((path.clone(), hash));
    }
    results
}

fn main() -> io::Result<()> {
    let dir = TempDir::new()?;
    let files = create_files(&dir.0, 8)?;
    let pool =
        pool::<StdSignal, _>(|| 4, StdThreadFactory::new().name_prefix("hasher"), |failure| eprintln!("{failure}"));

    // Under tokio: a current-thread runtime, whose only thread never blocks on a file.
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let under_tokio = runtime.block_on(hash_all(&pool, &files));
    for (path, hash) in &under_tokio {
        println!("tokio:    {:016x}  {}", hash, path.file_name().unwrap_or_default().to_string_lossy());
    }

    // The same future under the `futures` crate's executor.
    let under_futures = futures::executor::block_on(hash_all(&pool, &files));
    assert_eq!(under_tokio, under_futures, "same files, same hashes");
    println!("futures::executor::block_on agrees on all {} files", under_futures.len());

    // Cancelling work that has not started: it never runs, and leaves the backlog at once.
    let handles: Vec<_> = files
        .iter()
        .map(|path| {
            let path = path.clone();
            pool.spawn(move || hash_file(&path)).expect("the pool is running")
        })
        .collect();
    let cancelled = handles.iter().filter(|h| h.cancel()).count();
    println!("cancelled {cancelled} of {} hashes before they started", handles.len());
    for handle in handles {
        match handle.join() {
            Ok(hash) => drop(hash),
            Err(e) => assert!(e.is_cancelled()),
        }
    }

    pool.quit().expect("quit once");
    Ok(())
}
