//! oracle.rs — runs upstream's freeing-bump allocator on random scenarios and
//! writes what it did, as vectors for tests/unit/test_allocator.c.
//!
//! This is the crate root that upstream's `freeing_bump.rs` (copied next to
//! it by gen.sh, never committed) expects: `crate::{Error, Memory,
//! MAX_WASM_PAGES, PAGE_SIZE}` as in sc-allocator's lib.rs and error.rs, with
//! the same Display texts. The memory is a Vec like upstream's own test
//! memory. Built with overflow checks off, as the node's release build.
//!
//! Output, one line per step (all numbers decimal):
//!   scenario ID heap_base B pages P max M|none
//!   m SIZE ok PTR | m SIZE err MESSAGE          allocate
//!   f PTR ok | f PTR err MESSAGE                 deallocate
//!   g DELTA RESULT                               wasm memory.grow (old pages or -1)
//!   w ADDR VALUE                                 wasm writes a little-endian u64
//!   s BYTES PEAK SUM USED PAGES                  stats and memory size after the step
//!   h HASH                                       word_hash of the whole memory, hex
//!   end

mod freeing_bump;

use freeing_bump::FreeingBumpHeapAllocator;
use sp_wasm_interface::Pointer;
use std::collections::HashMap;
use std::fmt;
use std::io::Write;

pub const PAGE_SIZE: u32 = 65536;
pub const MAX_WASM_PAGES: u32 = (4u64 * 1024 * 1024 * 1024 / PAGE_SIZE as u64) as u32;

#[derive(Debug, PartialEq)]
pub enum Error {
    RequestedAllocationTooLarge,
    AllocatorOutOfSpace,
    MemoryShrinked,
    Other(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::RequestedAllocationTooLarge => write!(f, "Requested allocation size is too large"),
            Error::AllocatorOutOfSpace => write!(f, "Allocator ran out of space"),
            Error::MemoryShrinked => write!(f, "Shrinking of the underlying memory is observed"),
            Error::Other(s) => write!(f, "Other: {}", s),
        }
    }
}

pub trait Memory {
    fn with_access_mut<R>(&mut self, run: impl FnOnce(&mut [u8]) -> R) -> R;
    fn with_access<R>(&self, run: impl FnOnce(&[u8]) -> R) -> R;
    fn grow(&mut self, additional: u32) -> Result<(), ()>;
    fn pages(&self) -> u32;
    fn max_pages(&self) -> Option<u32>;
}

struct SimMemory {
    data: Vec<u8>,
    max: Option<u32>,
}

impl Memory for SimMemory {
    fn with_access_mut<R>(&mut self, run: impl FnOnce(&mut [u8]) -> R) -> R {
        run(&mut self.data)
    }
    fn with_access<R>(&self, run: impl FnOnce(&[u8]) -> R) -> R {
        run(&self.data)
    }
    fn grow(&mut self, additional: u32) -> Result<(), ()> {
        let limit = self.max.unwrap_or(MAX_WASM_PAGES) as u64;
        let new = self.pages() as u64 + additional as u64;
        if new > limit {
            return Err(());
        }
        self.data.resize((new * PAGE_SIZE as u64) as usize, 0);
        Ok(())
    }
    fn pages(&self) -> u32 {
        (self.data.len() / PAGE_SIZE as usize) as u32
    }
    fn max_pages(&self) -> Option<u32> {
        self.max
    }
}

/// splitmix64: a fixed, seedable sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// FNV-1a's step over little-endian 64-bit words (memory sizes are whole pages).
fn word_hash(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for w in data.chunks_exact(8) {
        h ^= u64::from_le_bytes(w.try_into().unwrap());
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

struct Scenario<'a> {
    out: &'a mut dyn Write,
    rng: Rng,
    mem: SimMemory,
    heap: FreeingBumpHeapAllocator,
    live: Vec<u32>,
    freed: Vec<u32>,
    sizes: HashMap<u32, u32>,
    big_budget: u32,
    failed: bool,
}

impl<'a> Scenario<'a> {
    fn stats(&mut self) {
        let s = self.heap.stats();
        writeln!(
            self.out,
            "s {} {} {} {} {}",
            s.bytes_allocated,
            s.bytes_allocated_peak,
            s.bytes_allocated_sum,
            s.address_space_used,
            self.mem.pages()
        )
        .unwrap();
    }

    fn hash(&mut self) {
        writeln!(self.out, "h {:016x}", word_hash(&self.mem.data)).unwrap();
    }

    fn size(&mut self) -> u32 {
        let r = &mut self.rng;
        match r.below(100) {
            0..=59 => r.below(65) as u32,
            60..=84 => 65 + r.below(4032) as u32,
            85..=94 => 4097 + r.below(258048) as u32,
            95..=98 => {
                let p = 1u32 << (3 + r.below(16));
                r.pick(&[p - 1, p, p + 1])
            }
            _ if self.big_budget > 0 => {
                self.big_budget -= 1;
                262145 + r.below(32 * 1024 * 1024 - 262144) as u32
            }
            _ => r.below(65) as u32,
        }
    }

    fn malloc(&mut self, size: u32) {
        match self.heap.allocate(&mut self.mem, size) {
            Ok(p) => {
                let p = u32::from(p);
                writeln!(self.out, "m {} ok {}", size, p).unwrap();
                self.freed.retain(|&f| f != p);
                self.live.push(p);
                self.sizes.insert(p, size);
            }
            Err(e) => {
                writeln!(self.out, "m {} err {}", size, e).unwrap();
                self.failed = true;
            }
        }
    }

    fn free(&mut self, ptr: u32) {
        match self.heap.deallocate(&mut self.mem, Pointer::new(ptr)) {
            Ok(()) => {
                writeln!(self.out, "f {} ok", ptr).unwrap();
                self.live.retain(|&l| l != ptr);
                self.freed.push(ptr);
            }
            Err(e) => {
                writeln!(self.out, "f {} err {}", ptr, e).unwrap();
                self.failed = true;
            }
        }
    }

    fn wasm_grow(&mut self) {
        let delta = self.rng.below(4) as u32;
        let old = self.mem.pages() as i64;
        let result = if self.mem.grow(delta).is_ok() { old } else { -1 };
        writeln!(self.out, "g {} {}", delta, result).unwrap();
    }

    fn wasm_write(&mut self, addr: u32, value: u64) {
        if addr as usize + 8 > self.mem.data.len() {
            return;
        }
        self.mem.data[addr as usize..addr as usize + 8].copy_from_slice(&value.to_le_bytes());
        writeln!(self.out, "w {} {}", addr, value).unwrap();
    }

    /// One step a hostile runtime might take: forged headers (mostly, as they
    /// do not fail at once), bad frees, huge requests.
    fn hostile(&mut self) {
        let size = self.mem.data.len() as u64;
        match self.rng.below(20) {
            0..=5 if !self.freed.is_empty() => {
                let p = self.rng.pick(&self.freed);
                let link = match self.rng.below(7) {
                    0 => self.rng.below(size) as u32 & !7,
                    1 => (size as u32).wrapping_sub(8 + 8 * self.rng.below(8) as u32),
                    2 => 0xFFFF_FFFF,
                    3 => self.rng.pick(&self.freed) - 8,
                    4 => self.rng.below(size + 64) as u32,
                    5 => self.rng.below(23) as u32,
                    _ => self.rng.next() as u32,
                };
                let occupied = if self.rng.below(3) == 0 { 1u64 << 32 } else { 0 };
                self.wasm_write(p - 8, occupied | link as u64);
                // Often the runtime then asks for a block of that order at once.
                if self.rng.below(2) == 0 {
                    let size = self.sizes.get(&p).copied().unwrap_or(8);
                    self.malloc(size)
                }
            }
            6..=10 if !self.live.is_empty() => {
                let p = self.rng.pick(&self.live);
                let v = match self.rng.below(4) {
                    0 | 1 => (1u64 << 32) | self.rng.below(26),
                    2 => self.rng.below(1 << 20),
                    _ => self.rng.next(),
                };
                self.wasm_write(p - 8, v)
            }
            11 | 12 if !self.freed.is_empty() => {
                let p = self.rng.pick(&self.freed);
                self.free(p)
            }
            13 => {
                let p = match self.rng.below(3) {
                    0 => self.rng.below(8) as u32,
                    1 => self.rng.below(size + 16) as u32,
                    _ => self.rng.next() as u32,
                };
                self.free(p)
            }
            14 => {
                let s = 32 * 1024 * 1024 + 1 + self.rng.below(1000) as u32;
                self.malloc(s)
            }
            15 => {
                let s = u32::MAX - self.rng.below(8) as u32;
                self.malloc(s)
            }
            16 => self.malloc(32 * 1024 * 1024),
            _ => {
                let s = self.size();
                self.malloc(s)
            }
        }
    }

    fn step(&mut self, hostile_percent: u64) {
        let r = self.rng.below(100);
        if r < hostile_percent {
            self.hostile();
        } else if r < 58 {
            let s = self.size();
            self.malloc(s);
        } else if r < 95 && !self.live.is_empty() {
            let i = self.rng.below(self.live.len() as u64) as usize;
            let p = self.live[i];
            self.free(p);
        } else if r < 97 {
            self.wasm_grow();
        } else {
            let s = self.size();
            self.malloc(s);
        }
    }
}

fn run(id: u32, seed: u64, out: &mut dyn Write) {
    let mut rng = Rng(seed);
    let pages = 1 + rng.below(24) as u32;
    let max = match rng.below(10) {
        0 => None,
        1 | 2 => Some(pages),
        _ => Some(pages + rng.below(64) as u32),
    };
    let heap_base = match rng.below(4) {
        0 => 0,
        1 => rng.below(64) as u32,
        _ => rng.below(pages as u64 * PAGE_SIZE as u64) as u32,
    };
    // Half the scenarios are well-behaved runtimes; a quarter turn hostile late,
    // a quarter are short and densely hostile.
    let (steps, hostile_from, hostile_percent) = match rng.below(4) {
        0 | 1 => (60 + rng.below(120), u64::MAX, 0),
        2 => {
            let n = 60 + rng.below(120);
            (n, n / 3, 6)
        }
        _ => (40 + rng.below(60), 10, 15),
    };
    let big_budget = if rng.below(10) < 3 { 1 } else { 0 };
    writeln!(
        out,
        "scenario {} heap_base {} pages {} max {}",
        id,
        heap_base,
        pages,
        max.map_or("none".to_string(), |m| m.to_string())
    )
    .unwrap();
    let mut s = Scenario {
        out,
        rng,
        mem: SimMemory { data: vec![0; (pages * PAGE_SIZE) as usize], max },
        heap: FreeingBumpHeapAllocator::new(heap_base),
        live: Vec::new(),
        freed: Vec::new(),
        sizes: HashMap::new(),
        big_budget,
        failed: false,
    };
    let mut after_failure = 0;
    for i in 0..steps {
        s.step(if i >= hostile_from { hostile_percent } else { 0 });
        s.stats();
        if i % 64 == 63 {
            s.hash();
        }
        if s.failed {
            after_failure += 1;
            if after_failure > 3 {
                break;
            }
        }
    }
    s.hash();
    writeln!(s.out, "end").unwrap();
}

/// A step of a scripted scenario.
#[derive(Clone, Copy)]
enum Op {
    M(u32),
    F(u32),
    W(u32, u64),
}

/// Scripted scenarios, so that every failure of the allocator is in the
/// vectors whatever the random ones happen to reach.
fn scripted(id: u32, heap_base: u32, pages: u32, max: Option<u32>, ops: &[Op], out: &mut dyn Write) {
    writeln!(
        out,
        "scenario {} heap_base {} pages {} max {}",
        id,
        heap_base,
        pages,
        max.map_or("none".to_string(), |m| m.to_string())
    )
    .unwrap();
    let mut s = Scenario {
        out,
        rng: Rng(0),
        mem: SimMemory { data: vec![0; (pages * PAGE_SIZE) as usize], max },
        heap: FreeingBumpHeapAllocator::new(heap_base),
        live: Vec::new(),
        freed: Vec::new(),
        sizes: HashMap::new(),
        big_budget: 0,
        failed: false,
    };
    for &op in ops {
        match op {
            Op::M(size) => s.malloc(size),
            Op::F(ptr) => s.free(ptr),
            Op::W(addr, value) => s.wasm_write(addr, value),
        }
        s.stats();
    }
    s.hash();
    writeln!(s.out, "end").unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: u32 = args.get(1).map_or(128, |a| a.parse().expect("scenario count"));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(out, "# freeing-bump allocator vectors from upstream freeing_bump.rs; tests/gen/allocator/gen.sh").unwrap();
    use Op::*;
    const OCC: u64 = 1 << 32;
    let scripts: &[(u32, u32, Option<u32>, &[Op])] = &[
        // Forged 32 MiB block freed with 16 bytes allocated: underflow.
        (0, 1, Some(1), &[M(8), W(2000, OCC | 22), F(2008), M(8)]),
        // Free-list link moved past the end of memory.
        (0, 1, None, &[M(5), F(8), W(0, 0xFFFF_FFFE), M(5), M(5), F(8)]),
        // Free-list head turned into an occupied header, of a valid and an invalid order.
        (0, 1, Some(2), &[M(8), F(8), W(0, OCC), M(8)]),
        (16, 1, Some(2), &[M(8), M(100), F(24), F(40), W(32, OCC | 40), M(100)]),
        // The first invalid order, on both paths that decode a header.
        (0, 1, Some(2), &[M(8), F(8), W(0, OCC | 23), M(8)]),
        (0, 1, Some(2), &[M(8), W(1000, OCC | 23), F(1008)]),
        // Bad pointers to free.
        (13, 1, Some(1), &[M(1), F(7)]),
        (13, 1, Some(1), &[M(1), F(65537)]),
        (13, 1, Some(1), &[M(1), F(24), F(24)]),
        // Exactly the largest block, then one byte more.
        (0, 1, None, &[M(32 * 1024 * 1024), M(32 * 1024 * 1024 + 1), M(8)]),
    ];
    for (i, &(heap_base, pages, max, ops)) in scripts.iter().enumerate() {
        scripted(1000 + i as u32, heap_base, pages, max, ops, &mut out);
    }
    for id in 0..count {
        run(id, 0x5EED_0000 + id as u64, &mut out);
    }
}
