use engine_wasm::world::*;
use engine_wasm::{CircleDesc, Config, World};

fn circle(x: f64, y: f64, r: f64) -> CircleDesc {
    CircleDesc { x, y, radius: r, mass: None, restitution: None, damping: None, vx: 0.0, vy: 0.0, tag: 0 }
}

fn cfg(w: f64, h: f64) -> Config {
    Config { width: w, height: h, ..Config::default() }
}

#[test]
fn gravity_integration() {
    let mut w = World::new(Config { gravity_y: 600.0, ..cfg(1000.0, 10000.0) }).unwrap();
    w.add_circle(&circle(500.0, 100.0, 5.0)).unwrap();
    for _ in 0..60 {
        w.step();
    }
    assert!((w.velocities()[1] - 600.0).abs() < 0.01);
    assert!((w.positions()[1] - 405.0).abs() < 0.05);
}

#[test]
fn snapshot_round_trip_and_determinism() {
    let build = || {
        let mut w = World::new(Config { gravity_y: 300.0, seed: 9, ..cfg(400.0, 400.0) }).unwrap();
        for i in 0..100 {
            let mut d = circle(20.0 + (i % 10) as f64 * 36.0, 20.0 + (i / 10) as f64 * 30.0, 6.0);
            d.vx = (i * 7 % 50) as f64 - 25.0;
            w.add_circle(&d).unwrap();
        }
        w.add_box(200.0, 300.0, 120.0, 4.0, 0).unwrap();
        w.add_sensor(100.0, 350.0, 30.0, 0).unwrap();
        w
    };
    let mut a = build();
    let mut b = build();
    for _ in 0..200 {
        a.step();
        b.step();
    }
    assert_eq!(a.snapshot(), b.snapshot());
    let snap = a.snapshot();
    for _ in 0..100 {
        a.step();
    }
    let mut c = World::from_snapshot(&snap).unwrap();
    assert_eq!(c.snapshot(), snap);
    for _ in 0..100 {
        c.step();
    }
    assert_eq!(a.snapshot(), c.snapshot());
}

#[test]
fn bad_input_leaves_world_unchanged() {
    let mut w = World::new(cfg(100.0, 100.0)).unwrap();
    let id = w.add_circle(&circle(50.0, 50.0, 5.0)).unwrap();
    let before = w.snapshot();
    assert!(w.add_circle(&circle(f64::NAN, 1.0, 1.0)).is_err());
    assert!(w.add_circle(&circle(1.0, 1.0, 0.0)).is_err());
    assert!(w.add_circle(&circle(1.0, 1.0, -3.0)).is_err());
    assert!(w.add_circle(&circle(500.0, 1.0, 1.0)).is_err());
    assert!(w.set_velocity(id + 100, 1.0, 1.0).is_err());
    assert!(w.set_velocity(id, f64::INFINITY, 1.0).is_err());
    assert!(w.apply_force(id, 1.0, f64::NAN).is_err());
    assert!(w.remove(12345).is_err());
    let mut bad = before.clone();
    bad[20] ^= 0xff;
    assert!(w.restore(&bad).unwrap_err().0.contains("checksum"));
    assert!(w.restore(&before[..before.len() - 3]).is_err());
    assert!(w.restore(b"nope").unwrap_err().0.contains("magic"));
    assert_eq!(w.snapshot(), before);
    assert!(World::new(Config { dt: 0.0, ..cfg(1.0, 1.0) }).is_err());
    assert!(World::new(Config { width: f64::NAN, ..cfg(1.0, 1.0) }).is_err());
}

#[test]
fn body_limit() {
    let mut w = World::new(cfg(1000.0, 1000.0)).unwrap();
    for i in 0..MAX_BODIES {
        w.add_sensor((i % 1000) as f64, (i / 1000) as f64, 1.0, 0).unwrap();
    }
    let e = w.add_circle(&circle(1.0, 1.0, 1.0)).unwrap_err();
    assert!(e.0.contains("too many bodies"), "{e}");
}

/// Same scene as `tests/unit/physics.state.test.ts` ("host build and WASM build agree"): the host
/// build and the wasm build must produce bit-identical snapshots. If the algorithm changes on
/// purpose, update GOLDEN here and in the TS test together.
#[test]
fn golden_snapshot_hash_shared_with_the_wasm_test() {
    const GOLDEN: &str = "17087 11c71f11d3d2ed3c";
    let mut w = World::new(Config { width: 500.0, height: 400.0, gravity_y: 700.0, restitution: 0.4, friction: 0.3, seed: 77, ..Config::default() }).unwrap();
    w.add_box(250.0, 390.0, 250.0, 10.0, 0).unwrap();
    w.add_box(150.0, 250.0, 60.0, 5.0, 0).unwrap();
    w.add_sensor(300.0, 300.0, 40.0, 0).unwrap();
    for i in 0..200 {
        let mut d = circle(10.0 + (i % 20) as f64 * 24.0, 10.0 + (i / 20) as f64 * 20.0, 3.0 + (i % 4) as f64);
        d.vx = (i as f64 * 37.0) % 200.0 - 100.0;
        w.add_circle(&d).unwrap();
    }
    for _ in 0..1000 {
        w.step();
    }
    let s = w.snapshot();
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in &s {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    assert_eq!(format!("{} {:016x}", s.len(), h), GOLDEN);
}
