//! Stand-in for the items of sp-wasm-interface that freeing_bump.rs uses:
//! a typed wasm pointer (a u32 address) and the size type.
use std::marker::PhantomData;

pub type WordSize = u32;

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Pointer<T> {
    ptr: u32,
    _marker: PhantomData<T>,
}

impl<T> Pointer<T> {
    pub fn new(ptr: u32) -> Self {
        Pointer { ptr, _marker: PhantomData }
    }
}

impl<T> From<Pointer<T>> for u32 {
    fn from(p: Pointer<T>) -> u32 {
        p.ptr
    }
}
