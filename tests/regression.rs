//! Regression tests, one per bug found in review, each named after the bug.
//!
//! Layers are written in UTM zone 50N metres (declared `EPSG:32650`) near Tianjin, so the
//! geometry can be worked by hand: the working CRS is the same zone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;
use lifecircle::{analyse, Config, Job};
use serde_json::{json, Value};

#[test]
fn invalid_multipolygon_parts_overlapping_were_miscounted() {
    // Two 200 x 100 parts overlapping by half: 30,000 m2, not 40,000; a market at the
    // middle covers it all (the even-odd rule used to cancel the overlap).
    let case = Case::new();
    let c = collection(vec![community(
        "twice",
        json!({"type": "MultiPolygon", "coordinates": [[square(0.0, 0.0, 200.0, 100.0)], [square(100.0, 0.0, 200.0, 100.0)]]}),
    )]);
    let a = case
        .run(&c, &markets(&[(150.0, 50.0)]), MARKET_1000)
        .unwrap();
    assert!((a.inputs.communities.as_ref().unwrap().area_m2 - 30_000.0).abs() < 0.1);
    assert!((a.categories[0].communities[0].share - 1.0).abs() < 1e-6);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.to_string().contains("id \"twice\"")
                && w.to_string().contains("repaired: 30000 m2 measured")
                && w.to_string().contains("40000 m2")),
        "{:?}",
        a.warnings
    );
    assert_eq!(a.inputs.communities.as_ref().unwrap().repaired.len(), 1);
    assert_eq!(
        a.inputs.communities.as_ref().unwrap().repaired[0].id,
        "twice"
    );
}

#[test]
fn invalid_repeated_part_gave_zero_share() {
    let case = Case::new();
    let part = json!([square(0.0, 0.0, 100.0, 100.0)]);
    let c = collection(vec![community(
        "dup",
        json!({"type": "MultiPolygon", "coordinates": [part.clone(), part]}),
    )]);
    let a = case
        .run(&c, &markets(&[(50.0, 50.0)]), MARKET_1000)
        .unwrap();
    assert!((a.inputs.communities.as_ref().unwrap().area_m2 - 10_000.0).abs() < 0.1);
    assert!((a.categories[0].communities[0].share - 1.0).abs() < 1e-6);
}

#[test]
fn bow_tie_keeps_both_lobes() {
    // (0,0) -> (200,200) -> (200,0) -> (0,200): two triangles of 10,000 m2 each. A market
    // 700 m to the left reaches the left lobe only: share 0.5 and one gap of 10,000 m2.
    let case = Case::new();
    let bow = ring(&[
        (0.0, 0.0),
        (200.0, 200.0),
        (200.0, 0.0),
        (0.0, 200.0),
        (0.0, 0.0),
    ]);
    let c = collection(vec![community(
        "bow",
        json!({"type": "Polygon", "coordinates": [bow]}),
    )]);
    let toml = "[[category]]\nname = \"market\"\nradius_m = 800\n";
    let a = case.run(&c, &markets(&[(-700.0, 100.0)]), toml).unwrap();
    assert!((a.inputs.communities.as_ref().unwrap().area_m2 - 20_000.0).abs() < 0.1);
    let cat = &a.categories[0];
    assert!(
        (cat.communities[0].share - 0.5).abs() < 1e-4,
        "{}",
        cat.communities[0].share
    );
    assert_eq!(cat.gaps.len(), 1);
    assert!((cat.gaps[0].area_m2.unwrap() - 10_000.0).abs() < 1.0);
    assert!((cat.gaps[0].population.unwrap() - 50.0).abs() < 0.01);
}

#[test]
fn full_cover_by_two_circles_failed_a_threshold_of_one() {
    // A 200 x 100 block between two markets 200 m apart, radius 150: every point is within
    // 112 m of one of them, no single circle holds it; clipping measured 0.9999996.
    let case = Case::new();
    let c = collection(vec![community(
        "block",
        json!({"type": "Polygon", "coordinates": [square(0.0, 0.0, 200.0, 100.0)]}),
    )]);
    let toml = "[analysis]\nserved_threshold = 1.0\n\
                [[category]]\nname = \"market\"\nradius_m = 150\ntarget = 1.0\nbasis = \"communities\"\n";
    let a = case
        .run(&c, &markets(&[(0.0, 50.0), (200.0, 50.0)]), toml)
        .unwrap();
    let s = &a.categories[0].summary;
    assert!(a.categories[0].communities[0].meets);
    assert_eq!(s.communities_served, 1);
    assert_eq!(s.meets_target, Some(true));
}

#[test]
fn a_working_crs_in_degrees_or_web_mercator_was_accepted() {
    let case = Case::new();
    let c = one_block();
    for (crs, shown) in [
        ("EPSG:4230", "measures 0.0"),
        ("EPSG:3857", "measures 1290.8"),
    ] {
        let extra = format!("[analysis]\nwork_crs = \"{crs}\"\n{MARKET_1000}");
        let err = case
            .run(&c, &markets(&[(0.0, 0.0)]), &extra)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("CRS \"{crs}\": cannot be the working CRS")),
            "{err}"
        );
        assert!(err.contains(shown), "{err}");
        assert!(err.contains("EPSG:32650"), "suggests the UTM zone: {err}");
    }
}

#[test]
fn lon_lat_facilities_declared_projected_gave_zero_coverage() {
    let case = Case::new();
    let c = one_block();
    let f = collection(vec![
        json!({"type": "Feature", "properties": {"id": "m0", "category": "market"},
        "geometry": {"type": "Point", "coordinates": [117.7, 39.05]}}),
    ]);
    let err = case.run(&c, &f, MARKET_1000).unwrap_err().to_string();
    assert!(err.contains("f.geojson: feature 0 (id \"m0\")"), "{err}");
    assert!(
        err.contains("look like longitude/latitude degrees"),
        "{err}"
    );
    assert!(err.contains("EPSG:32650 is projected"), "{err}");
}

#[test]
fn a_crs_link_member_was_silently_read_as_wgs84() {
    let case = Case::new();
    let mut c = collection(vec![community(
        "a",
        json!({"type": "Polygon", "coordinates": [[[117.7, 39.05], [117.71, 39.05], [117.71, 39.06], [117.7, 39.05]]]}),
    )]);
    c["crs"] = json!({"type": "link", "properties": {"href": "http://example.com/crs/42"}});
    let path = case.write("linked.geojson", &c);
    let f = case.write("f.geojson", &markets(&[(0.0, 0.0)]));
    let toml = format!(
        "[communities]\npath = \"{}\"\n[facilities]\npath = \"{}\"\ncrs = \"EPSG:32650\"\n{MARKET_1000}",
        path.display(),
        f.display()
    );
    let config = Config::from_toml(&toml, Path::new("t.toml")).unwrap();
    let err = analyse(&Job::from_config(&config, case.dir.path()).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("crs member does not name a CRS"), "{err}");
}

#[test]
fn bad_geometry_messages_lacked_the_property_id() {
    let case = Case::new();
    let c = collection(vec![json!({"type": "Feature", "properties": {"id": "c0"},
        "geometry": {"type": "Polygon", "coordinates": "none"}})]);
    let err = case
        .run(&c, &markets(&[(0.0, 0.0)]), MARKET_1000)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("c.geojson: feature 0 (id \"c0\"): geometry is not valid GeoJSON"),
        "{err}"
    );
}

#[test]
fn feature_level_ids_were_lost_in_communities_geojson() {
    let case = Case::new();
    let c = collection(vec![
        json!({"type": "Feature", "id": "fid-7", "properties": {"population": 5},
        "geometry": {"type": "Polygon", "coordinates": [square(0.0, 0.0, 100.0, 100.0)]}}),
    ]);
    let a = case
        .run(&c, &markets(&[(50.0, 50.0)]), MARKET_1000)
        .unwrap();
    let text = lifecircle::write::geojson(&lifecircle::layers::communities(&a));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["features"][0]["id"], "fid-7");
    assert_eq!(doc["features"][0]["properties"]["market_share"], 1.0);
}

#[test]
fn an_empty_multipoint_facility_was_called_the_wrong_type() {
    let case = Case::new();
    let c = one_block();
    let f = collection(vec![
        json!({"type": "Feature", "properties": {"id": "m0", "category": "market"},
        "geometry": {"type": "MultiPoint", "coordinates": []}}),
    ]);
    let err = case.run(&c, &f, MARKET_1000).unwrap_err().to_string();
    assert!(
        err.contains("feature 0 (id \"m0\"): geometry is an empty MultiPoint"),
        "{err}"
    );
}
