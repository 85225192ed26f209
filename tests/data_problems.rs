//! Dirty input, one case per data problem the README's "Data problems" section lists: each
//! ends in a clear message or a documented outcome, never a silent drop.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use geo::{Coord, Polygon};
use lifecircle::{analyse_with, Config, DistanceModel, Job, StraightLine};
use serde_json::{json, Value};

fn polygon(rings: Vec<Value>) -> Value {
    json!({"type": "Polygon", "coordinates": rings})
}

fn bow_tie() -> Value {
    polygon(vec![ring(&[
        (0.0, 0.0),
        (200.0, 200.0),
        (200.0, 0.0),
        (0.0, 200.0),
        (0.0, 0.0),
    ])])
}

/// A valid neighbour, so skipping one community still leaves something to measure.
fn with_neighbour(id: &str, geometry: Value) -> Value {
    collection(vec![
        community(id, geometry),
        community("ok", polygon(vec![square(1000.0, 0.0, 100.0, 100.0)])),
    ])
}

fn err(r: lifecircle::Result<lifecircle::Analysis>) -> String {
    r.err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "no error".into())
}

#[test]
fn invalid_policy_fail_names_the_feature_and_the_way_out() {
    let case = Case::new();
    let e = err(case.run_with(
        &with_neighbour("bow", bow_tie()),
        &markets(&[(0.0, 0.0)]),
        "on_invalid = \"fail\"",
        MARKET_1000,
    ));
    assert!(
        e.contains("c.geojson: feature 0 (id \"bow\"): the polygon is invalid"),
        "{e}"
    );
    assert!(e.contains("--on-invalid repair mends it"), "{e}");
}

#[test]
fn invalid_policy_skip_leaves_it_out_and_says_so() {
    let case = Case::new();
    let a = case
        .run_with(
            &with_neighbour("bow", bow_tie()),
            &markets(&[(0.0, 0.0)]),
            "on_invalid = \"skip\"",
            MARKET_1000,
        )
        .unwrap();
    assert_eq!(a.inputs.communities.as_ref().unwrap().features, 2);
    assert_eq!(a.communities.len(), 1);
    assert_eq!(a.categories[0].summary.communities, 1);
    let skipped = &a.inputs.communities.as_ref().unwrap().skipped;
    assert_eq!(skipped.len(), 1);
    assert_eq!((skipped[0].index, skipped[0].id.as_str()), (0, "bow"));
    assert_eq!(skipped[0].area_m2_used, None);
    assert!(a
        .warnings
        .iter()
        .any(|w| w.to_string().contains("left out of the analysis")));
}

#[test]
fn zero_area_cannot_be_repaired() {
    let case = Case::new();
    let flat = polygon(vec![ring(&[
        (0.0, 0.0),
        (100.0, 0.0),
        (200.0, 0.0),
        (0.0, 0.0),
    ])]);
    let e = err(case.run(
        &with_neighbour("flat", flat.clone()),
        &markets(&[(0.0, 0.0)]),
        MARKET_1000,
    ));
    assert!(e.contains("feature 0 (id \"flat\")"), "{e}");
    assert!(
        e.contains("zero area") || e.contains("no ring encloses any area"),
        "{e}"
    );
    assert!(e.contains("--on-invalid skip leaves it out"), "{e}");
    // Skipped, it is accounted for.
    let a = case
        .run_with(
            &with_neighbour("flat", flat),
            &markets(&[(0.0, 0.0)]),
            "on_invalid = \"skip\"",
            MARKET_1000,
        )
        .unwrap();
    assert_eq!(a.inputs.communities.as_ref().unwrap().skipped[0].id, "flat");
}

#[test]
fn a_hole_outside_its_shell_is_dropped() {
    let case = Case::new();
    let shell_and_stray_hole = polygon(vec![
        square(0.0, 0.0, 100.0, 100.0),
        square(500.0, 500.0, 50.0, 50.0),
    ]);
    let a = case
        .run(
            &collection(vec![community("h", shell_and_stray_hole)]),
            &markets(&[(50.0, 50.0)]),
            MARKET_1000,
        )
        .unwrap();
    assert!((a.inputs.communities.as_ref().unwrap().area_m2 - 10_000.0).abs() < 0.1);
    assert_eq!(a.inputs.communities.as_ref().unwrap().repaired[0].id, "h");
    assert!((a.categories[0].communities[0].share - 1.0).abs() < 1e-6);
}

#[test]
fn text_level_defects_are_reported_not_silently_mended() {
    let case = Case::new();
    let (x, y) = (X0, Y0);
    // 3D positions; an unclosed ring; a repeated vertex.
    let three_d = json!({"type": "Polygon", "coordinates": [[[x, y, 5.0], [x + 100.0, y, 5.0], [x + 100.0, y + 100.0, 5.0], [x, y, 5.0]]]});
    let unclosed = json!({"type": "Polygon", "coordinates": [[[x, y + 300.0], [x + 100.0, y + 300.0], [x + 100.0, y + 400.0], [x, y + 400.0]]]});
    let repeated = json!({"type": "Polygon", "coordinates": [[[x, y + 600.0], [x + 100.0, y + 600.0], [x + 100.0, y + 600.0], [x + 100.0, y + 700.0], [x, y + 600.0]]]});
    let layer = collection(vec![
        community("three_d", three_d),
        community("unclosed", unclosed),
        community("repeated", repeated),
    ]);
    let a = case
        .run(&layer, &markets(&[(50.0, 350.0)]), MARKET_1000)
        .unwrap();
    let problems = |id: &str| {
        a.inputs
            .communities
            .as_ref()
            .unwrap()
            .repaired
            .iter()
            .find(|n| n.id == id)
            .map(|n| lifecircle::text::defects(&n.problems, lifecircle::config::Lang::En))
            .unwrap_or_default()
    };
    assert!(
        problems("three_d").contains("3D coordinates"),
        "{}",
        problems("three_d")
    );
    assert!(
        problems("unclosed").contains("unclosed ring"),
        "{}",
        problems("unclosed")
    );
    assert!(
        problems("repeated").contains("duplicate consecutive vertices"),
        "{}",
        problems("repeated")
    );
    // Closing the ring gives the square its full area.
    assert!(
        (a.inputs.communities.as_ref().unwrap().area_m2 - 5_000.0 - 10_000.0 - 5_000.0).abs() < 0.1
    );
}

#[test]
fn an_empty_polygon_is_unusable() {
    let case = Case::new();
    let empty = json!({"type": "Polygon", "coordinates": []});
    let e = err(case.run(
        &with_neighbour("e", empty),
        &markets(&[(0.0, 0.0)]),
        MARKET_1000,
    ));
    assert!(e.contains("feature 0 (id \"e\")"), "{e}");
}

#[test]
fn population_given_as_empty_text_says_what_was_found() {
    let case = Case::new();
    let c = collection(vec![
        json!({"type": "Feature", "properties": {"id": "p", "population": ""},
        "geometry": polygon(vec![square(0.0, 0.0, 100.0, 100.0)])}),
    ]);
    let e = err(case.run(&c, &markets(&[(0.0, 0.0)]), MARKET_1000));
    assert!(
        e.contains("feature 0 (id \"p\"): population is \"\", expected a number"),
        "{e}"
    );
}

#[test]
fn null_properties_with_a_feature_id_are_fine() {
    let case = Case::new();
    let c = collection(vec![
        json!({"type": "Feature", "id": 12, "properties": null,
        "geometry": polygon(vec![square(0.0, 0.0, 100.0, 100.0)])}),
    ]);
    let a = case
        .run(&c, &markets(&[(50.0, 50.0)]), MARKET_1000)
        .unwrap();
    assert_eq!(a.communities[0].id, "12");
    assert_eq!(a.categories[0].summary.basis, lifecircle::Basis::Area);
}

#[test]
fn layers_far_apart_are_a_crs_mistake() {
    let case = Case::new();
    let far = markets(&[(0.0, 300_000.0)]);
    let e = err(case.run(&one_block(), &far, MARKET_1000));
    assert!(e.contains("c.geojson (longitude"), "{e}");
    assert!(e.contains("f.geojson (longitude"), "{e}");
    assert!(e.contains("km apart: the layers do not overlap"), "{e}");
    assert!(e.contains("Is a CRS declared wrongly"), "{e}");
}

#[test]
fn a_category_with_no_facilities_is_measured_as_zero_with_a_warning() {
    let case = Case::new();
    let toml = "[[category]]\nname = \"library\"\nradius_m = 1000\n";
    let a = case
        .run(&one_block(), &markets(&[(50.0, 50.0)]), toml)
        .unwrap();
    let cat = &a.categories[0];
    assert_eq!(cat.summary.facilities, 0);
    assert_eq!(cat.summary.coverage, 0.0);
    assert_eq!(cat.communities[0].nearest_m, None);
    assert_eq!(cat.gaps.len(), 1);
    assert!(
        a.warnings.iter().any(
            |w| w.to_string().contains("category \"library\": no facility")
                && w.to_string().contains("coverage is 0")
                && w.to_string().contains("categories found: market")
        ),
        "{:?}",
        a.warnings
    );
    // A near miss of an existing category is a typo: an error that says so.
    let toml = "[[category]]\nname = \"markets\"\nradius_m = 1000\n";
    let e = err(case.run(&one_block(), &markets(&[(50.0, 50.0)]), toml));
    assert!(e.contains("did you mean \"market\""), "{e}");
}

/// A distance model that panics, standing in for a fault inside the geometry library.
struct Faulty;

impl DistanceModel for Faulty {
    fn name(&self) -> &'static str {
        "faulty"
    }
    fn service_area(&self, _site: Coord<f64>, _radius_m: f64) -> Polygon<f64> {
        panic!("boolean operation lost its way")
    }
    fn reach_m(&self, radius_m: f64) -> f64 {
        radius_m
    }
    fn distance_m(&self, from: Coord<f64>, to: Coord<f64>) -> f64 {
        StraightLine::default().distance_m(from, to)
    }
}

#[test]
fn a_panic_inside_a_geometry_operation_is_an_error_naming_the_feature() {
    let case = Case::new();
    let c = case.write("c.geojson", &one_block());
    let f = case.write("f.geojson", &markets(&[(150.0, 50.0)]));
    let toml = format!(
        "[communities]\npath = \"{}\"\ncrs = \"EPSG:32650\"\n[facilities]\npath = \"{}\"\n\
         crs = \"EPSG:32650\"\n{MARKET_1000}",
        c.display(),
        f.display()
    );
    let config = Config::from_toml(&toml, std::path::Path::new("t.toml")).unwrap();
    let job = Job::from_config(&config, case.dir.path()).unwrap();
    let e = analyse_with(&job, &Faulty).unwrap_err().to_string();
    assert!(e.contains("c.geojson: feature 0 (id \"a\")"), "{e}");
    assert!(
        e.contains("failed inside the geometry library: boolean operation lost its way"),
        "{e}"
    );
}
