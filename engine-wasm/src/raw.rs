//! wasm-bindgen layer (in the style of rapier.js' `Raw*` classes): thin, numeric, no logic.
//! Every fallible call returns `Result<_, JsError>` so bad input becomes a JS `Error`.

use crate::world::{CircleDesc, Config, PhysicsError, World};
use wasm_bindgen::prelude::*;

fn js(e: PhysicsError) -> JsError {
    JsError::new(&e.0)
}

#[wasm_bindgen]
pub struct RawWorld {
    world: World,
}

#[wasm_bindgen]
impl RawWorld {
    /// Creates a world. All numbers are validated (finite, in range).
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        width: f64,
        height: f64,
        gravity_x: f64,
        gravity_y: f64,
        dt: f64,
        linear_damping: f64,
        restitution: f64,
        friction: f64,
        max_speed: f64,
        seed: u32,
    ) -> Result<RawWorld, JsError> {
        let cfg = Config { width, height, gravity_x, gravity_y, dt, linear_damping, restitution, friction, max_speed, seed };
        Ok(RawWorld { world: World::new(cfg).map_err(js)? })
    }

    /// Restores a world from snapshot bytes (validated; clear error when malformed).
    #[wasm_bindgen(js_name = fromSnapshot)]
    pub fn from_snapshot(bytes: &[u8]) -> Result<RawWorld, JsError> {
        Ok(RawWorld { world: World::from_snapshot(bytes).map_err(js)? })
    }

    /// [width, height, gravityX, gravityY, dt, linearDamping, restitution, friction, maxSpeed, seed]
    #[wasm_bindgen(js_name = configValues)]
    pub fn config_values(&self) -> Vec<f64> {
        let c = self.world.config();
        vec![c.width, c.height, c.gravity_x, c.gravity_y, c.dt, c.linear_damping, c.restitution, c.friction, c.max_speed, c.seed as f64]
    }

    pub fn count(&self) -> u32 {
        self.world.count() as u32
    }
    #[wasm_bindgen(js_name = stepCount)]
    pub fn step_count(&self) -> f64 {
        self.world.step_count() as f64
    }

    #[wasm_bindgen(js_name = addCircle)]
    #[allow(clippy::too_many_arguments)]
    pub fn add_circle(
        &mut self,
        x: f64,
        y: f64,
        radius: f64,
        mass: Option<f64>,
        restitution: Option<f64>,
        damping: Option<f64>,
        vx: f64,
        vy: f64,
        tag: u32,
    ) -> Result<u32, JsError> {
        let d = CircleDesc { x, y, radius, mass, restitution, damping, vx, vy, tag };
        self.world.add_circle(&d).map_err(js)
    }
    #[wasm_bindgen(js_name = addBox)]
    pub fn add_box(&mut self, x: f64, y: f64, half_width: f64, half_height: f64, tag: u32) -> Result<u32, JsError> {
        self.world.add_box(x, y, half_width, half_height, tag).map_err(js)
    }
    #[wasm_bindgen(js_name = addSensor)]
    pub fn add_sensor(&mut self, x: f64, y: f64, radius: f64, tag: u32) -> Result<u32, JsError> {
        self.world.add_sensor(x, y, radius, tag).map_err(js)
    }
    pub fn remove(&mut self, id: u32) -> Result<(), JsError> {
        self.world.remove(id).map_err(js)
    }
    pub fn has(&self, id: u32) -> bool {
        self.world.has(id)
    }
    #[wasm_bindgen(js_name = setPosition)]
    pub fn set_position(&mut self, id: u32, x: f64, y: f64) -> Result<(), JsError> {
        self.world.set_position(id, x, y).map_err(js)
    }
    #[wasm_bindgen(js_name = setVelocity)]
    pub fn set_velocity(&mut self, id: u32, vx: f64, vy: f64) -> Result<(), JsError> {
        self.world.set_velocity(id, vx, vy).map_err(js)
    }
    #[wasm_bindgen(js_name = applyImpulse)]
    pub fn apply_impulse(&mut self, id: u32, ix: f64, iy: f64) -> Result<(), JsError> {
        self.world.apply_impulse(id, ix, iy).map_err(js)
    }
    #[wasm_bindgen(js_name = applyForce)]
    pub fn apply_force(&mut self, id: u32, fx: f64, fy: f64) -> Result<(), JsError> {
        self.world.apply_force(id, fx, fy).map_err(js)
    }

    pub fn step(&mut self) {
        self.world.step();
    }
    /// Runs `n` steps in one call (saves JS<->WASM crossings); n is capped at 100000.
    #[wasm_bindgen(js_name = stepMany)]
    pub fn step_many(&mut self, n: u32) {
        for _ in 0..n.min(100_000) {
            self.world.step();
        }
    }

    // ---- bulk views: byte offsets into wasm memory (valid until the next mutating call) ----
    #[wasm_bindgen(js_name = idsPtr)]
    pub fn ids_ptr(&self) -> usize {
        self.world.ids().as_ptr() as usize
    }
    #[wasm_bindgen(js_name = kindsPtr)]
    pub fn kinds_ptr(&self) -> usize {
        self.world.kinds().as_ptr() as usize
    }
    #[wasm_bindgen(js_name = tagsPtr)]
    pub fn tags_ptr(&self) -> usize {
        self.world.tags().as_ptr() as usize
    }
    #[wasm_bindgen(js_name = positionsPtr)]
    pub fn positions_ptr(&self) -> usize {
        self.world.positions().as_ptr() as usize
    }
    #[wasm_bindgen(js_name = velocitiesPtr)]
    pub fn velocities_ptr(&self) -> usize {
        self.world.velocities().as_ptr() as usize
    }
    #[wasm_bindgen(js_name = sizesPtr)]
    pub fn sizes_ptr(&self) -> usize {
        self.world.sizes().as_ptr() as usize
    }
    #[wasm_bindgen(js_name = eventsPtr)]
    pub fn events_ptr(&self) -> usize {
        self.world.events().as_ptr() as usize
    }
    /// Number of u32 words in the event buffer (3 per event).
    #[wasm_bindgen(js_name = eventsLen)]
    pub fn events_len(&self) -> u32 {
        self.world.events().len() as u32
    }

    pub fn random(&mut self) -> f64 {
        self.world.random()
    }
    pub fn snapshot(&self) -> Vec<u8> {
        self.world.snapshot()
    }
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.world.restore(bytes).map_err(js)
    }
}
