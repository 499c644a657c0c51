/** Physics engine (Rust/WASM) public API. */
export * from './types';
export { PhysicsWorld, PhysicsEngineCrashedError, loadPhysics, isPhysicsLoaded, resolveConfig } from './world';
