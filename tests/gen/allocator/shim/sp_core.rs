//! Stand-in for the one item of sp-core that freeing_bump.rs uses.
pub const MAX_POSSIBLE_ALLOCATION: u32 = 32 * 1024 * 1024;
