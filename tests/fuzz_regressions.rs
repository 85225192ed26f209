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

mod common;

/// A job whose `[table]` layer ("communities" or "facilities") is the file at `path`, with
/// `extra` lines after it; the other layer is named but never read; one category.
fn job_reading(table: &str, path: &Path, extra: &str) -> Job {
    let other = match table {
        "communities" => "[facilities]\npath = \"f.geojson\"",
        _ => "[demand]\npath = \"d.geojson\"",
    };
    let toml = format!(
        "[{table}]\npath = {:?}\n{extra}\n{other}\n[[category]]\nname = \"market\"\nradius_m = 500\n",
        path.display().to_string()
    );
    let config = Config::from_toml(&toml, &path.with_extension("toml")).unwrap();
    Job::from_config(&config, path.parent().unwrap()).unwrap()
}

/// A shapefile point whose x is NaN was read as a facility at (NaN, 39.0...): the reader
/// took any eight bytes for a coordinate. Found by `fuzz/fuzz_targets/shapefile_set.rs`
/// (invariant: every site is finite) within its first seconds.
#[test]
fn a_shapefile_point_that_is_not_a_number_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let shp = common::copy_shapefile_set(dir.path(), "facilities_gbk");
    let mut bytes = std::fs::read(&shp).unwrap();
    // Record 1: its 8-byte header at 100, its shape type at 108, x at 112.
    bytes[112..120].copy_from_slice(&f64::NAN.to_le_bytes());
    std::fs::write(&shp, bytes).unwrap();
    let job = job_reading("facilities", &shp, "");
    let err = lifecircle::load::load_facilities(&job.facilities)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("facilities_gbk.shp: record 1: a point is not a pair of numbers (NaN 39."),
        "{err}"
    );
}

/// A GeoPackage column whose name is not UTF-8 made rusqlite panic ("Invalid UTF-8 sequence
/// in column name", rusqlite 0.37 `column.rs:151`, through `Statement::column_names`). The
/// reader now takes the names from `PRAGMA table_info`, with replacement characters. Found
/// by `fuzz/fuzz_targets/geopackage.rs` in its first second; the file is the fuzzer's input
/// (the seed GeoPackage with one byte of a column name changed to 0xFF).
#[test]
fn a_geopackage_column_name_that_is_not_utf8_is_read_not_a_panic() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz/gpkg-column-name-not-utf8.gpkg");
    let job = job_reading("communities", &path, "");
    // The byte changed is in the geometry column's name, so the table no longer has the
    // column gpkg_geometry_columns names: an error naming the file and the first feature.
    let err = lifecircle::load::load_communities(job.communities.as_ref().unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("gpkg-column-name-not-utf8.gpkg") && err.contains("feature 0 (id \"c1\")"),
        "{err}"
    );
}

/// A `.pbf` block whose positions overflow: osmpbf 0.3.8 computes `lon_offset + granularity
/// × lon` unchecked (`dense.rs:57`), which panics ("attempt to multiply with overflow")
/// where overflow is checked, as in this test's build. The reader catches it and names the
/// block. Found by `fuzz/fuzz_targets/osm_pbf.rs` in under a minute. Its input decoded only
/// with the fuzz build's zlib backend, so the file here is made to overflow on purpose: the
/// first two blocks of `data/helsinki/Helsinki.osm.pbf` with the data block's `lon_offset`
/// set to 2^63 - 1000.
#[test]
fn a_pbf_block_whose_positions_overflow_is_an_error_naming_the_block() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz/pbf-position-overflow.osm.pbf");
    let job = job_reading(
        "facilities",
        &path,
        "[[facilities.rule]]\ncategory = \"market\"\nmatch = { shop = \"*\" }",
    );
    let err = lifecircle::load::load_facilities(&job.facilities)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("pbf-position-overflow.osm.pbf: not a readable OpenStreetMap PBF file: the block at byte 98: a position overflows"),
        "{err}"
    );
}
