use engine_wasm::world::*;
use engine_wasm::{CircleDesc, Config, World};

fn circle(x: f64, y: f64, r: f64, vx: f64, vy: f64) -> CircleDesc {
    CircleDesc { x, y, radius: r, mass: None, restitution: None, damping: None, vx, vy, tag: 0 }
}

fn events(w: &World) -> Vec<[u32; 3]> {
    w.events().chunks(3).map(|c| [c[0], c[1], c[2]]).collect()
}

#[test]
fn elastic_collision_conserves_momentum_and_energy() {
    let mut w = World::new(Config { width: 1000.0, height: 1000.0, restitution: 1.0, friction: 0.0, ..Config::default() }).unwrap();
    let mut a = circle(400.0, 500.0, 10.0, 150.0, 20.0);
    a.mass = Some(2.0);
    let mut b = circle(600.0, 510.0, 10.0, -100.0, 0.0);
    b.mass = Some(1.0);
    w.add_circle(&a).unwrap();
    w.add_circle(&b).unwrap();
    let mom = |w: &World| {
        let v = w.velocities();
        (2.0 * v[0] as f64 + v[2] as f64, 2.0 * v[1] as f64 + v[3] as f64)
    };
    let energy = |w: &World| {
        let v = w.velocities();
        let s = |x: f32, y: f32| (x as f64).powi(2) + (y as f64).powi(2);
        0.5 * 2.0 * s(v[0], v[1]) + 0.5 * s(v[2], v[3])
    };
    let (p0, e0) = (mom(&w), energy(&w));
    let mut began = 0;
    for _ in 0..120 {
        w.step();
        began += events(&w).iter().filter(|e| e[0] == EVENT_CONTACT_BEGIN).count();
    }
    assert_eq!(began, 1);
    let (p1, e1) = (mom(&w), energy(&w));
    assert!((p1.0 - p0.0).abs() < 1e-3 && (p1.1 - p0.1).abs() < 1e-3, "{p0:?} {p1:?}");
    assert!((e1 - e0).abs() / e0 < 1e-3, "energy {e0} -> {e1}");
}

#[test]
fn no_tunneling_through_thin_box_at_max_speed() {
    let mut w = World::new(Config { width: 1000.0, height: 1000.0, max_speed: 1200.0, ..Config::default() }).unwrap();
    w.add_box(500.0, 500.0, 0.25, 500.0, 0).unwrap();
    for i in 0..50 {
        let a = (i as f64 / 50.0 - 0.5) * 2.4;
        w.add_circle(&circle(440.0 + (i % 5) as f64 * 3.1, 100.0 + i as f64 * 16.0, 1.5, a.cos() * 1e4, a.sin() * 1e4)).unwrap();
    }
    for _ in 0..40 {
        w.step();
        for i in 1..w.count() {
            assert!(w.positions()[2 * i] < 500.0, "body crossed: {}", w.positions()[2 * i]);
        }
    }
}

#[test]
fn pile_settles_still_and_events_stop() {
    let mut w = World::new(Config { width: 300.0, height: 300.0, gravity_y: 900.0, restitution: 0.3, friction: 0.4, ..Config::default() }).unwrap();
    w.add_box(150.0, 295.0, 150.0, 5.0, 0).unwrap();
    for i in 0..90 {
        w.add_circle(&circle(15.0 + (i % 12) as f64 * 23.0 + (i / 12 % 2) as f64 * 6.0, 20.0 + (i / 12) as f64 * 22.0, 9.0 + (i % 3) as f64, 0.0, 0.0)).unwrap();
    }
    for _ in 0..900 {
        w.step();
    }
    let p0 = w.positions().to_vec();
    let mut n_events = 0;
    let mut max_v = 0.0f32;
    for _ in 0..120 {
        w.step();
        n_events += w.events().len();
        for i in 1..w.count() {
            let v = w.velocities();
            max_v = max_v.max((v[2 * i] * v[2 * i] + v[2 * i + 1] * v[2 * i + 1]).sqrt());
        }
    }
    let drift = p0.iter().zip(w.positions()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(max_v < 1.0, "max speed {max_v}");
    assert!(drift < 0.5, "drift {drift}");
    assert_eq!(n_events, 0, "contacts flicker in a resting pile");
}

#[test]
fn sensor_and_contact_events() {
    let mut w = World::new(Config { width: 400.0, height: 400.0, restitution: 0.0, ..Config::default() }).unwrap();
    let s = w.add_sensor(150.0, 100.0, 10.0, 0).unwrap();
    let a = w.add_circle(&circle(100.0, 100.0, 5.0, 200.0, 0.0)).unwrap();
    let wall = w.add_box(250.0, 100.0, 5.0, 50.0, 0).unwrap();
    let mut log = Vec::new();
    for _ in 0..120 {
        w.step();
        log.extend(events(&w));
    }
    assert_eq!(log, vec![[EVENT_SENSOR_ENTER, s, a], [EVENT_SENSOR_EXIT, s, a], [EVENT_CONTACT_BEGIN, a, wall]]);
    // removing the body drops its open contact silently; the id is never reused
    w.remove(a).unwrap();
    w.step();
    assert!(w.events().is_empty());
    let b = w.add_circle(&circle(10.0, 10.0, 1.0, 0.0, 0.0)).unwrap();
    assert!(b > wall);
}

#[test]
fn sensors_never_collide_and_statics_can_move() {
    let mut w = World::new(Config { width: 400.0, height: 400.0, ..Config::default() }).unwrap();
    let s = w.add_sensor(200.0, 200.0, 50.0, 0).unwrap();
    let a = w.add_circle(&circle(100.0, 200.0, 5.0, 300.0, 0.0)).unwrap();
    for _ in 0..30 {
        w.step();
    }
    assert!((w.velocities()[2] - 300.0).abs() < 1e-3, "sensor must not slow the body");
    w.set_position(s, 50.0, 50.0).unwrap();
    w.step();
    assert_eq!(events(&w), vec![[EVENT_SENSOR_EXIT, s, a]]);
}

#[test]
fn crafted_snapshots_are_rejected_without_panicking() {
    let mut w = World::new(Config { width: 100.0, height: 100.0, gravity_y: 100.0, ..Config::default() }).unwrap();
    w.add_box(50.0, 95.0, 50.0, 5.0, 0).unwrap();
    for i in 0..10 {
        w.add_circle(&circle(10.0 + i as f64 * 8.0, 50.0, 3.0, 0.0, 0.0)).unwrap();
    }
    for _ in 0..60 {
        w.step();
    }
    let good = w.snapshot();
    // every truncation and every single-byte corruption is rejected (checksum or validation)
    for cut in 0..good.len() {
        assert!(World::from_snapshot(&good[..cut]).is_err());
    }
    for i in 0..good.len() {
        let mut b = good.clone();
        b[i] ^= 0x5a;
        assert!(World::from_snapshot(&b).is_err(), "corruption at byte {i} accepted");
    }
    // re-checksummed garbage fields are caught by validation
    let fix = |mut b: Vec<u8>| {
        let n = b.len() - 8;
        let mut h: u64 = 0xcbf29ce484222325;
        for &x in &b[..n] {
            h ^= x as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        b[n..].copy_from_slice(&h.to_le_bytes());
        b
    };
    let mut b = good.clone();
    b[8..16].copy_from_slice(&f64::NAN.to_le_bytes()); // width
    assert!(World::from_snapshot(&fix(b)).err().unwrap().0.contains("width"));
    let n_off = 4 + 2 + 2 + 9 * 8 + 4 + 16 + 4 + 8;
    let mut b = good.clone();
    b[n_off..n_off + 4].copy_from_slice(&u32::MAX.to_le_bytes()); // body count
    assert!(World::from_snapshot(&fix(b)).is_err());
    assert_eq!(World::from_snapshot(&fix(good.clone())).unwrap().snapshot(), good);
}

/// Crowds of small, fast bodies in cells separated by 0.5-unit walls: dynamic-dynamic pushes
/// and bounces must never carry a body through a wall (or around one via the world bounds).
#[test]
fn no_tunneling_in_fast_crowds_between_thin_walls() {
    use engine_wasm::rng::Pcg32;
    for seed in 0..3u32 {
        let mut rng = Pcg32::new(seed);
        let mut w = World::new(Config { width: 1000.0, height: 1000.0, max_speed: 1200.0, restitution: 0.8, ..Config::default() }).unwrap();
        for k in 1..4 {
            w.add_box(250.0 * k as f64, 500.0, 0.25, 500.0, 0).unwrap();
        }
        w.add_box(500.0, 500.0, 500.0, 0.25, 0).unwrap();
        let region = |x: f32, y: f32| ((x / 250.0) as i32) * 10 + (y / 500.0) as i32;
        for _ in 0..600 {
            let x = 5.0 + rng.next_f64() * 990.0;
            let y = 5.0 + rng.next_f64() * 990.0;
            if (x % 250.0) < 5.0 || (x % 250.0) > 245.0 || (y - 500.0).abs() < 5.0 {
                continue;
            }
            let r = 1.5 + rng.next_f64() * 1.5;
            w.add_circle(&circle(x, y, r, 0.0, 0.0)).unwrap();
        }
        let regs: Vec<i32> = (4..w.count()).map(|i| region(w.positions()[2 * i], w.positions()[2 * i + 1])).collect();
        for s in 0..300 {
            if s % 60 == 0 {
                for i in 4..w.count() {
                    let id = w.ids()[i];
                    let a = rng.next_f64() * std::f64::consts::TAU;
                    w.set_velocity(id, a.cos() * 2000.0, a.sin() * 2000.0).unwrap();
                }
            }
            w.step();
            for (k, i) in (4..w.count()).enumerate() {
                let g = region(w.positions()[2 * i], w.positions()[2 * i + 1]);
                assert_eq!(g, regs[k], "seed {seed} step {s}: body {i} changed cell");
            }
        }
    }
}

/// Fast projectiles (moving several radii per step) hit other dynamic circles instead of
/// passing through them: dynamic-dynamic swept test.
#[test]
fn fast_projectiles_hit_dynamic_circles() {
    let mut w = World::new(Config { width: 2000.0, height: 1000.0, max_speed: 1000.0, restitution: 1.0, friction: 0.0, ..Config::default() }).unwrap();
    // targets r = 3, bullets r = 1 at 1000 u/s = 16.7 units per step (> the summed radii 4)
    let mut pairs = Vec::new();
    for k in 0..10 {
        let y = 50.0 + k as f64 * 80.0;
        let target = w.add_circle(&circle(1000.0 + k as f64 * 1.37, y, 3.0, 0.0, 0.0)).unwrap();
        let bullet = w.add_circle(&circle(700.0 + k as f64 * 5.3, y + (k as f64 - 5.0) * 0.3, 1.0, 1000.0, 0.0)).unwrap();
        pairs.push((target, bullet));
    }
    // two bullets head-on: 33 units per step relative
    let b1 = w.add_circle(&circle(300.0, 900.0, 1.0, 1000.0, 0.0)).unwrap();
    let b2 = w.add_circle(&circle(500.0, 900.0, 1.0, -1000.0, 0.0)).unwrap();
    let mut begins = Vec::new();
    let mut head_on_v = None;
    for _ in 0..30 {
        w.step();
        for e in events(&w) {
            if e[0] == EVENT_CONTACT_BEGIN {
                begins.push((e[1], e[2]));
                if (e[1], e[2]) == (b1, b2) {
                    head_on_v = Some((w.velocities()[40], w.velocities()[42]));
                }
            }
        }
        let p = w.positions();
        for (k, &(_t, _b)) in pairs.iter().enumerate() {
            let (ti, bi) = (2 * k, 2 * k + 1);
            assert!(p[2 * bi] < p[2 * ti], "bullet {k} passed through its target");
        }
        let (i1, i2) = (20, 21);
        assert!(p[2 * i1] < p[2 * i2], "head-on bullets passed through each other");
    }
    for &(t, b) in &pairs {
        assert!(begins.contains(&(t.min(b), t.max(b))), "no contact event for bullet {b}");
    }
    assert!(begins.contains(&(b1, b2)));
    // elastic: the head-on bullets bounced back with their speeds
    let (v1, v2) = head_on_v.unwrap();
    assert!((v1 + 1000.0).abs() < 1.0 && (v2 - 1000.0).abs() < 1.0, "{v1} {v2}");
}

#[test]
fn removing_bodies_ends_their_pairs_silently() {
    let mut w = World::new(Config { width: 400.0, height: 400.0, gravity_y: 500.0, restitution: 0.0, ..Config::default() }).unwrap();
    let zone = w.add_sensor(200.0, 380.0, 60.0, 0).unwrap();
    let _floor = w.add_box(200.0, 395.0, 200.0, 5.0, 0).unwrap();
    let ids: Vec<u32> = (0..10).map(|i| w.add_circle(&circle(160.0 + i as f64 * 9.0, 370.0, 4.0, 0.0, 0.0)).unwrap()).collect();
    let mut enters = 0;
    for _ in 0..60 {
        w.step();
        enters += events(&w).iter().filter(|e| e[0] == EVENT_SENSOR_ENTER && e[1] == zone).count();
    }
    assert_eq!(enters, 10);
    let snap_before = w.snapshot();
    for &id in &ids[..5] {
        w.remove(id).unwrap();
    }
    // a snapshot taken between removal and the next step round-trips too
    let mid = w.snapshot();
    let mut twin = World::from_snapshot(&mid).unwrap();
    w.step();
    twin.step();
    assert_eq!(w.snapshot(), twin.snapshot());
    assert!(events(&w).iter().all(|e| !ids[..5].contains(&e[1]) && !ids[..5].contains(&e[2])), "{:?}", events(&w));
    assert!(w.events().is_empty(), "the survivors keep resting: {:?}", events(&w));
    assert_ne!(snap_before, w.snapshot());
}

/// A dense elastic gas (restitution 1, no friction) must never gain kinetic energy: sequential
/// impulses with restitution targets in every iteration used to heat crowds up.
#[test]
fn dense_elastic_gas_does_not_gain_energy() {
    use engine_wasm::rng::Pcg32;
    let n = 400;
    let side = ((n as f64) * std::f64::consts::PI * 9.6 / 0.25).sqrt();
    let mut w = World::new(Config { width: side, height: side, restitution: 1.0, friction: 0.0, ..Config::default() }).unwrap();
    let mut rng = Pcg32::new(11);
    for _ in 0..n {
        let a = rng.next_f64() * std::f64::consts::TAU;
        let r = 2.0 + rng.next_f64() * 2.0;
        w.add_circle(&circle(4.0 + rng.next_f64() * (side - 8.0), 4.0 + rng.next_f64() * (side - 8.0), r, a.cos() * 100.0, a.sin() * 100.0)).unwrap();
    }
    let ke = |w: &World| {
        let (v, s) = (w.velocities(), w.sizes());
        (0..n).map(|i| (s[2 * i] as f64).powi(2) * ((v[2 * i] as f64).powi(2) + (v[2 * i + 1] as f64).powi(2))).sum::<f64>()
    };
    let e0 = ke(&w);
    let mut peak: f64 = 0.0;
    for _ in 0..600 {
        w.step();
        peak = peak.max(ke(&w));
    }
    assert!(peak <= e0 * 1.05, "kinetic energy grew: {e0} -> peak {peak}");
}
