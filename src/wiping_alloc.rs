//! A global allocator that overwrites every heap block with zeros before it is freed (and so
//! before a `realloc` moves it), then hands it to the system allocator.
//!
//! Why: credentials pass through buffers ossauth does not own: ureq's connection and body
//! buffers, serde_json's scratch space, rustls' records, `Vec` growth that moves a buffer and
//! frees the old one. Wrapping each in `Zeroizing` is impossible; wiping at the allocator
//! catches every one of them, and whatever ossauth's own `Zeroizing` wrappers miss. The
//! extension module registers it (`src/python/mod.rs`); the pure library leaves the choice of
//! global allocator to whoever links it. Cost: one `memset` per free, a few nanoseconds for
//! the small blocks signing allocates.

use std::alloc::{GlobalAlloc, Layout, System};

/// [`System`], wiping each block on `dealloc`. `realloc` is the trait's default (allocate,
/// copy, free the old block), so a moved block is wiped too.
pub struct WipingAllocator;

// SAFETY: every method forwards to `System` with the caller's own pointer and layout; `dealloc`
// only writes `layout.size()` bytes at `ptr` first, which the caller guarantees it owns.
unsafe impl GlobalAlloc for WipingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes from this allocator (the
        // caller's contract), so writing that many bytes stays inside it.
        unsafe { wipe(ptr, layout.size()) };
        // SAFETY: the caller's pointer and layout, as `System.dealloc` requires.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Zeros `len` bytes at `ptr` in a way the optimizer cannot drop as a dead store before `free`:
/// a `memset`, then an empty `asm!` that receives the pointer and so may read the memory
/// behind it.
///
/// # Safety
/// `ptr` must be valid for writes of `len` bytes.
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_arch = "arm"
))]
unsafe fn wipe(ptr: *mut u8, len: usize) {
    // SAFETY: the caller guarantees `len` writable bytes at `ptr`.
    unsafe { std::ptr::write_bytes(ptr, 0, len) };
    // SAFETY: the assembly is empty: it touches no register, stack or flag; it only makes the
    // compiler assume that the memory at `ptr` is read, so the zeros above are kept.
    unsafe { std::arch::asm!("/* {0} */", in(reg) ptr, options(nostack, preserves_flags)) };
}

/// Elsewhere: zeroize's volatile writes (slower, never elided).
///
/// # Safety
/// `ptr` must be valid for writes of `len` bytes.
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_arch = "arm"
)))]
unsafe fn wipe(ptr: *mut u8, len: usize) {
    if len > 0 {
        // SAFETY: the caller guarantees `len` writable bytes at `ptr`, which is then non-null.
        zeroize::Zeroize::zeroize(unsafe { std::slice::from_raw_parts_mut(ptr, len) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_blocks_are_zeroed_and_moves_wipe_the_old_block() {
        let a = WipingAllocator;
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: a fresh 64-byte block, written and read within its bounds, then freed once.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            std::ptr::write_bytes(p, 0xAB, 64);
            wipe(p, 64);
            assert!((0..64).all(|i| *p.add(i) == 0));
            std::ptr::write_bytes(p, 0xCD, 64);
            let q = a.realloc(p, layout, 4096);
            assert!(!q.is_null());
            assert!(
                (0..64).all(|i| *q.add(i) == 0xCD),
                "realloc keeps the contents"
            );
            a.dealloc(q, Layout::from_size_align(4096, 8).unwrap());
        }
    }
}
