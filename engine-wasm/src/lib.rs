//! Deterministic 2D physics for the arena: dynamic circles, static boxes, sensors.
//!
//! Plain-Rust core (`world`, `broadphase`, `solver`, `snapshot`, `rng`), testable with a host
//! `cargo test`, wrapped for JS by the wasm-bindgen layer in `raw` (wasm32 only).

pub mod broadphase;
pub mod pairs;
pub mod rng;
pub mod snapshot;
pub mod solver;
pub mod world;

#[cfg(target_arch = "wasm32")]
pub mod raw;

pub use world::{CircleDesc, Config, PhysicsError, World};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

/// Crate version (also a quick "is the module alive" probe).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(js_name = engineVersion)]
pub fn engine_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
