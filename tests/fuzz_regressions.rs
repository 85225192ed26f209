#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Inputs the fuzz targets in `fuzz/` found to crash the library, minimized, one test each.
//! Each calls the same function as the fuzz target on the same bytes and asserts that it
//! returns (an error, for these inputs) instead of panicking.

use std::path::Path;

use lifecircle::load::{read_communities, read_facilities};
use lifecircle::{Config, Job};

/// The fuzz targets' job: layers named c.geojson and f.geojson, one category.
fn job() -> Job {
    let toml = r#"
        [communities]
        path = "c.geojson"
        [facilities]
        path = "f.geojson"
        [[category]]
        name = "market"
        radius_m = 500
    "#;
    let config = Config::from_toml(toml, Path::new("fuzz.toml")).unwrap();
    Job::from_config(&config, Path::new(".")).unwrap()
}

/// geojson 1.0 checks that a Point has at least two numbers, but not the positions of the
/// other geometry types; converting one with fewer than two numbers to geo panicked with
/// "index out of bounds: the len is 1 but the index is 1" (geojson's to_geo_types.rs:309,
/// 310 or 320, reached from `load::read::parse_feature`). Found by
/// `fuzz/fuzz_targets/geojson_layers.rs`.
#[test]
fn a_position_with_fewer_than_two_numbers_is_an_error_not_a_panic() {
    let job = job();
    let inputs: [&[u8]; 9] = [
        br#"{"type":"MultiPoint","coordinates":[[1]]}"#,
        br#"{"type":"LineString","coordinates":[[0]]}"#,
        br#"{"type":"MultiLineString","coordinates":[[[0,0],[1]]]}"#,
        br#"{"type":"Polygon","coordinates":[[[0]]]}"#,
        br#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[7],[0,0]]]]}"#,
        br#"{"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[0]]}]}"#,
        // An empty position after a full one ("the len is 0 but the index is 0").
        br#"{"type":"LineString","coordinates":[[1,2],[]]}"#,
        br#"{"type":"Polygon","coordinates":[[[1,2],[]]]}"#,
        // The fuzzer's input, as tmin left it: a Feature whose Polygon ring has [9.06].
        br#"{"type":"Feature","p":{"id":"x"},"geometry":{"type":"Polygon","coordinates":[[[234.70,3117.71,39105],[9.06],[117.70,39.05]]]}}"#,
    ];
    for bytes in inputs {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            read_communities(bytes, job.communities.as_ref().unwrap()).is_err(),
            "communities from {text}"
        );
        assert!(
            read_facilities(bytes, &job.facilities).is_err(),
            "facilities from {text}"
        );
    }
}

/// A radius given in minutes was checked before it was turned into metres: `minutes` (or
/// `walking_speed_kmh`) large enough made `radius_m` infinite, and the run then failed deep
/// in the geometry library ("dissolving the service areas failed inside the geometry
/// library: You are trying to convert a point[inf, NaN] ..."); a tiny one made it 0, which
/// `radius_m = 0` is refused for. Both must be refused by `Job::from_config`. Found by the
/// invariant `radius_m` finite and above 0 in `fuzz/fuzz_targets/config.rs`.
#[test]
fn a_radius_in_minutes_that_is_not_a_usable_distance_is_refused() {
    for extra in [
        "[[category]]\nname = \"m\"\nminutes = 1e308\n",
        "[[category]]\nname = \"m\"\nminutes = 5e-324\n",
        "[analysis]\nwalking_speed_kmh = 1e300\n[[category]]\nname = \"m\"\nminutes = 1e10\n",
    ] {
        let text = format!("[communities]\npath = \"c\"\n[facilities]\npath = \"f\"\n{extra}");
        let config = Config::from_toml(&text, Path::new("fuzz.toml")).unwrap();
        match Job::from_config(&config, Path::new("/fuzz")) {
            Err(_) => {}
            Ok(job) => panic!(
                "accepted a radius of {} m from {extra:?}",
                job.categories[0].radius_m
            ),
        }
    }
}
