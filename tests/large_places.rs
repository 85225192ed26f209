//! Large places (districts) and the coverage curve: the curve measures true circles split
//! by the facilities' nearest-facility cells, a closed form per piece and radius; it agrees
//! with a hand-worked square and with single-radius runs on Tianjin's 16 districts.

// Test harness: failing loudly is the job of the helpers below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::f64::consts::PI;
use std::path::Path;

use common::{collection, community, markets, square, Case};
use lifecircle::{analyse, Analysis, Config, Job};
use serde_json::{json, Value};

/// A square of side 2a with one facility at its centre: the area within r is πr² up to the
/// inscribed circle (r = a), the square less four circular segments up to the
/// circumscribed one (a√2), then the whole square.
fn square_covered(a: f64, r: f64) -> f64 {
    if r <= a {
        PI * r * r
    } else if r < a * 2f64.sqrt() {
        PI * r * r - 4.0 * (r * r * (a / r).acos() - a * (r * r - a * a).sqrt())
    } else {
        4.0 * a * a
    }
}

#[test]
fn the_curve_of_one_square_around_one_facility_is_the_closed_form() {
    let a = 1000.0;
    let inscribed = a;
    let circumscribed = a * 2f64.sqrt();
    let case = Case::new();
    let block = collection(vec![community(
        "square",
        json!({"type": "Polygon", "coordinates": [square(0.0, 0.0, 2.0 * a, 2.0 * a)]}),
    )]);
    // No population: the curve is on area.
    let analysis = case
        .run(
            &strip_population(block),
            &markets(&[(a, a)]),
            &curve_by_steps(),
        )
        .unwrap();
    let curve = &analysis.categories[0].summary.curve;
    assert_eq!(curve.len(), 15);
    assert_eq!(curve[9][0], inscribed);
    // Every radius of the curve, below, between and beyond the two circles.
    for point in curve {
        let want = square_covered(a, point[0]) / (4.0 * a * a);
        assert!(
            (point[1] - want).abs() < 1e-9,
            "at {} m: curve {} vs closed form {want}",
            point[0],
            point[1]
        );
    }
    assert!(curve.iter().any(|p| p[0] < inscribed));
    assert!(curve
        .iter()
        .any(|p| p[0] > inscribed && p[0] < circumscribed));
    assert!(curve.iter().any(|p| p[0] > circumscribed));
}

fn curve_by_steps() -> String {
    "[[category]]\nname = \"market\"\nradius_m = 1000\n[curve]\nfrom_m = 100\nto_m = 1500\nstep_m = 100\n"
        .into()
}

fn strip_population(mut layer: Value) -> Value {
    for f in layer["features"].as_array_mut().unwrap() {
        f["properties"]
            .as_object_mut()
            .unwrap()
            .remove("population");
    }
    layer
}

/// Tianjin's 16 districts (GCJ-02, 20,383 vertices) and `n` market points spread over them
/// by a fixed sequence (a Halton sequence over the districts' extent; those outside every
/// district serve the districts near them).
fn districts_case(n: usize, radius_m: f64) -> Analysis {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let districts = root.join("data/tianjin/districts.geojson");
    let (w, s, e, north) = (116.70, 38.56, 118.06, 40.25);
    let points: Vec<Value> = (1..=n)
        .map(|i| {
            let x = w + (e - w) * halton(i, 2);
            let y = s + (north - s) * halton(i, 3);
            json!({"type": "Feature", "properties": {"id": format!("m{i}"), "category": "market"},
                   "geometry": {"type": "Point", "coordinates": [x, y]}})
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let markets = dir.path().join("markets.geojson");
    std::fs::write(&markets, collection(points).to_string()).unwrap();
    let toml = format!(
        "[communities]\npath = \"{}\"\ncrs = \"GCJ-02\"\nid = \"adcode\"\nname = \"district\"\n\
         [facilities]\npath = \"{}\"\ncrs = \"GCJ-02\"\n\
         [[category]]\nname = \"market\"\nradius_m = {radius_m}\n\
         [curve]\nfrom_m = 250\nto_m = 1000\nstep_m = 250\n",
        districts.display(),
        markets.display()
    );
    let config = Config::from_toml(&toml, Path::new("t.toml")).unwrap();
    analyse(&Job::from_config(&config, dir.path()).unwrap()).unwrap()
}

fn halton(mut i: usize, base: usize) -> f64 {
    let (mut f, mut r) = (1.0, 0.0);
    while i > 0 {
        f /= base as f64;
        r += f * (i % base) as f64;
        i /= base;
    }
    r
}

/// A run at radius r reports the coverage the curve shows at r, on places of 100 to 2,000
/// km² each reached by hundreds of circles. The curve measures true circles, a run clips
/// equal-area 128-gons: the figures agree to 1e-4 (0.01 pp; see tests/helsinki_demand.rs).
#[test]
fn on_districts_the_curve_agrees_with_runs_at_its_radii() {
    let base = districts_case(3000, 1000.0);
    let curve = base.categories[0].summary.curve.clone();
    assert_eq!(
        curve.iter().map(|p| p[0]).collect::<Vec<_>>(),
        [250.0, 500.0, 750.0, 1000.0]
    );
    let mut worst: f64 = 0.0;
    for radius in [500.0, 1000.0] {
        let other;
        let run = if radius == 1000.0 {
            &base
        } else {
            other = districts_case(3000, radius);
            &other
        };
        let got = run.categories[0].summary.coverage;
        let want = curve.iter().find(|p| p[0] == radius).unwrap()[1];
        worst = worst.max((got - want).abs());
        assert!(
            (got - want).abs() < 1e-4,
            "run at {radius} m gives {got}, the curve {want}"
        );
        // Every district was measured.
        assert_eq!(run.communities.len(), 16);
    }
    assert!(curve.windows(2).all(|w| w[1][1] >= w[0][1]));
    assert!(
        curve[3][1] > 0.05 && curve[3][1] < 0.95,
        "a partly covered city: {curve:?}"
    );
    eprintln!("districts: largest |curve - run| {worst:.2e}");
}
