//! The fast lane ([`Ring`]) under real threads: submitters, workers and a canceller at
//! once, with the gate opening and closing, across the growth of its chain of segments.
#![cfg(all(feature = "std", not(threadteam_loom)))]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use threadteam_core::team::bypass::{Lane, Ring};

const PUSHERS: usize = 4;
const PER_PUSHER: usize = if cfg!(miri) { 40 } else { 50_000 };

/// An item: who pushed it and its number in that pusher's sequence.
fn item(pusher: usize, n: usize) -> usize {
    pusher * PER_PUSHER + n
}

/// Pushes every item of `pusher`, through the gate when it is open and otherwise the way a
/// coordinator does (ungated), so both paths race the pops.
fn push_all(ring: &Ring<usize>, pusher: usize) {
    for n in 0..PER_PUSHER {
        let mut x = item(pusher, n);
        if n % 3 == 0 {
            match ring.push_open(x) {
                Ok(()) => continue,
                Err(back) => x = back,
            }
        }
        while let Err(back) = ring.push(x) {
            x = back;
            thread::yield_now();
        }
    }
}

#[test]
fn every_item_is_popped_once_and_each_pushers_items_in_order() {
    let ring = Arc::new(Ring::<usize>::new());
    let done = Arc::new(AtomicBool::new(false));
    let pushers: Vec<_> = (0..PUSHERS)
        .map(|p| {
            let ring = Arc::clone(&ring);
            thread::spawn(move || push_all(&ring, p))
        })
        .collect();
    // Opens and closes the gate (with a fresh budget) while the others work.
    let gatekeeper = {
        let (ring, done) = (Arc::clone(&ring), Arc::clone(&done));
        thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                ring.open();
                thread::yield_now();
                ring.close();
            }
        })
    };
    // One popper, so the order it sees is the lane's order.
    let mut next = [0; PUSHERS];
    let total = PUSHERS * PER_PUSHER;
    let mut popped = 0;
    while popped < total {
        match ring.pop() {
            Some(x) => {
                let (p, n) = (x / PER_PUSHER, x % PER_PUSHER);
                assert_eq!(n, next[p], "pusher {p}'s items out of order");
                next[p] += 1;
                popped += 1;
            }
            None => thread::yield_now(),
        }
    }
    for p in pushers {
        p.join().unwrap();
    }
    done.store(true, Ordering::Release);
    gatekeeper.join().unwrap();
    assert_eq!(ring.pop(), None);
    assert_eq!(ring.len(), 0);
    assert!(!ring.is_claimed());
}

#[test]
fn two_poppers_and_a_canceller_lose_nothing_and_double_nothing() {
    let ring = Arc::new(Ring::<usize>::new());
    let pushers: Vec<_> = (0..PUSHERS)
        .map(|p| {
            let ring = Arc::clone(&ring);
            thread::spawn(move || push_all(&ring, p))
        })
        .collect();
    let total = PUSHERS * PER_PUSHER;
    let taken = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let takers: Vec<_> = (0..3)
        .map(|t| {
            let (ring, taken, seen) = (Arc::clone(&ring), Arc::clone(&taken), Arc::clone(&seen));
            thread::spawn(move || {
                let mut mine = Vec::new();
                let mut k = 0usize;
                while taken.load(Ordering::Acquire) < total {
                    // Taker 2 cancels: removes the first item divisible by 7 it finds.
                    let got = if t == 2 { ring.remove_first(&mut |&x| x % 7 == k % 7) } else { ring.pop() };
                    k += 1;
                    match got {
                        Some(x) => {
                            mine.push(x);
                            taken.fetch_add(1, Ordering::AcqRel);
                        }
                        None => thread::yield_now(),
                    }
                }
                seen.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for p in pushers {
        p.join().unwrap();
    }
    for t in takers {
        t.join().unwrap();
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), total, "each item taken once");
    let distinct: HashSet<_> = seen.iter().copied().collect();
    assert_eq!(distinct.len(), total, "no item taken twice");
    assert_eq!(ring.len(), 0);
    // The canceller may have taken the last items: their places are left for a pop to
    // step over, and only then is nothing claimed.
    assert_eq!(ring.pop(), None);
    assert!(!ring.is_claimed());
}
