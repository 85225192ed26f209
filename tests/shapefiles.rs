//! Shapefiles and Chinese coordinate systems: the sample district as GDAL wrote it
//! (tests/fixtures/formats, made by make.sh there) gives the figures and names of the
//! GeoJSON it came from; attributes equal what GDAL reads when told the encoding; broken
//! sets and wrong zones are refused with messages that say what is wrong.
//!
//! The GDAL comparisons run `ogr2ogr` (`make test-deps` installs gdal-bin).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::copy_shapefile_set;
use lifecircle::load::{load_communities, load_facilities};
use lifecircle::{analyse, Analysis, Config, Job};
use serde_json::{Map, Value};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/formats").join(name)
}

/// The sample plan without its ratio indicators: a shapefile's field names are cut to ten
/// characters (floor_area_m2 becomes floor_area), so the indicators' fields differ.
fn plan() -> Config {
    let mut config = Config::from_file(&root().join("examples/tianjin-plan.toml")).unwrap();
    config.indicators.clear();
    config
}

fn job(config: &Config) -> Job {
    Job::from_config(config, &root().join("examples")).unwrap()
}

fn run(config: &Config) -> Analysis {
    analyse(&job(config)).unwrap()
}

fn error(config: &Config) -> String {
    match analyse(&job(config)) {
        Ok(_) => panic!("the run should fail"),
        Err(e) => e.to_string(),
    }
}

/// Every number in two JSON values equal within `tol` (relative to 1), everything else equal.
fn assert_close(a: &Value, b: &Value, tol: f64, at: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0),
                "{at}: {x} against {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                assert_close(p, q, tol, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}"
            );
            for (k, v) in x {
                assert_close(v, &y[k], tol, &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

fn assert_same_figures(a: &Analysis, b: &Analysis, tol: f64) {
    assert_eq!(a.categories.len(), b.categories.len());
    for (x, y) in a.categories.iter().zip(&b.categories) {
        assert_close(
            &serde_json::to_value(&x.summary).unwrap(),
            &serde_json::to_value(&y.summary).unwrap(),
            tol,
            &x.summary.name,
        );
        for (p, q) in x.communities.iter().zip(&y.communities) {
            assert!((p.share - q.share).abs() <= tol, "{}", x.summary.name);
        }
    }
    let names = |a: &Analysis| -> Vec<(String, Option<String>)> {
        a.communities
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect()
    };
    assert_eq!(names(a), names(b));
}

#[test]
fn the_sample_district_as_gbk_and_utf8_shapefiles_gives_the_same_figures_and_names() {
    let geojson = run(&plan());
    let mut config = plan();
    config.communities.as_mut().unwrap().path = fixture("communities_gbk.shp");
    config.demand.as_mut().unwrap().path = fixture("buildings_utf8.shp");
    config.facilities.path = fixture("facilities_cgcs2000.gpkg");
    let shp = run(&config);
    assert_same_figures(&shp, &geojson, 0.0);
    assert!(shp
        .communities
        .iter()
        .any(|c| c.name.as_deref() == Some("丽晶社区")));
    let warned = |end: &str| shp.warnings.iter().any(|w| w.to_string().contains(end));
    assert!(
        warned("communities_gbk.shp: text read as GB18030 (no declared encoding, and the text is not UTF-8"),
        "{:?}",
        shp.warnings
    );
    assert!(
        warned("buildings_utf8.shp: text read as UTF-8 (the .cpg says \"UTF-8\")"),
        "{:?}",
        shp.warnings
    );
}

#[test]
fn communities_in_gauss_kruger_zone_39_give_the_same_figures() {
    let geojson = run(&plan());
    let mut config = plan();
    config.communities.as_mut().unwrap().path = fixture("communities_4527.shp");
    let gk = run(&config);
    // Through EPSG:4527 and back: PROJ's transverse Mercator round trip is exact to far
    // below a millimetre, so shares agree to 1e-9.
    assert_same_figures(&gk, &geojson, 1e-9);
}

#[test]
fn a_declared_zone_the_eastings_do_not_fit_names_the_zone_they_fit() {
    let mut config = plan();
    let c = config.communities.as_mut().unwrap();
    c.path = fixture("communities_4527.shp");
    c.crs = Some("EPSG:4526".into());
    let err = error(&config);
    assert!(
        err.contains("communities_4527.shp: feature 0 (id \"TEDA-01\")")
            && err.contains("does not fall in EPSG:4526 (3-degree zone 38, eastings prefixed with 38); the data looks like it is in EPSG:4527 (3-degree zone 39"),
        "{err}"
    );
    // The zone without its prefix: the same meridian, EPSG:4548.
    c_crs(&mut config, "EPSG:4548");
    let err = error(&config);
    assert!(
        err.contains("the data looks like it is in EPSG:4527"),
        "{err}"
    );
}

fn c_crs(config: &mut Config, crs: &str) {
    config.communities.as_mut().unwrap().crs = Some(crs.into());
}

#[test]
fn a_crs_may_be_declared_as_wkt_or_a_proj_string() {
    let geojson = run(&plan());
    let prj = std::fs::read_to_string(fixture("communities_4527.prj")).unwrap();
    let mut config = plan();
    config.communities.as_mut().unwrap().path = fixture("communities_4527.shp");
    c_crs(&mut config, &prj);
    assert_same_figures(&run(&config), &geojson, 1e-9);
    c_crs(
        &mut config,
        "+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=39500000 +y_0=0 +ellps=GRS80 +units=m +no_defs",
    );
    assert_same_figures(&run(&config), &geojson, 1e-9);
}

/// GDAL's reading of a shapefile, told the encoding: each feature's properties.
fn gdal_properties(shp: &Path, encoding: &str) -> Vec<Map<String, Value>> {
    let out = Command::new("ogr2ogr")
        .args(["-f", "GeoJSON", "/vsistdout/"])
        .arg(shp)
        .args(["-oo", &format!("ENCODING={encoding}")])
        .output()
        .unwrap_or_else(|e| panic!("ogr2ogr (GDAL) could not be run ({e}): run `make test-deps`"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"].as_object().unwrap().clone())
        .collect()
}

/// Property maps equal where GDAL has a value (GDAL writes blank text as "", lifecircle as
/// a missing value), numbers compared as numbers.
fn assert_same_properties(ours: &[Map<String, Value>], gdal: &[Map<String, Value>]) {
    assert_eq!(ours.len(), gdal.len());
    for (i, (a, b)) in ours.iter().zip(gdal).enumerate() {
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (k, g) in b {
            match (&a[k], g) {
                (Value::Number(x), Value::Number(y)) => {
                    assert_eq!(x.as_f64(), y.as_f64(), "feature {i}, {k}")
                }
                (Value::Null, Value::String(s)) if s.is_empty() => {}
                (x, y) => assert_eq!(x, y, "feature {i}, {k}"),
            }
        }
    }
}

#[test]
fn gbk_attributes_equal_what_gdal_reads_when_told_the_encoding() {
    let config = plan();
    let mut j = job(&config);
    let communities = j.communities.as_mut().unwrap();
    communities.path = fixture("communities_gbk.shp");
    let ours: Vec<_> = load_communities(communities)
        .unwrap()
        .features
        .into_iter()
        .map(|c| c.properties)
        .collect();
    assert_same_properties(
        &ours,
        &gdal_properties(&fixture("communities_gbk.shp"), "CP936"),
    );
    assert_eq!(ours[0]["name"], Value::String("金滨社区".into()));

    j.facilities.path = fixture("facilities_gbk.shp");
    let facilities = load_facilities(&j.facilities).unwrap();
    assert_eq!(
        facilities.note.map(|n| n.to_string()).as_deref(),
        Some("text read as GBK (no .cpg; the .dbf's language byte 0x4D says so)")
    );
    assert_eq!(facilities.features.len(), 100);
}

/// A copy of a fixture's set (all its files) in a temporary folder, to break.
fn communities_error(shp: &Path) -> String {
    let mut config = plan();
    config.communities.as_mut().unwrap().path = shp.to_path_buf();
    error(&config)
}

#[test]
fn a_broken_shapefile_set_is_refused_naming_the_part() {
    let dir = tempfile::tempdir().unwrap();
    let shp = copy_shapefile_set(dir.path(), "communities_gbk");

    std::fs::remove_file(dir.path().join("communities_gbk.shx")).unwrap();
    let err = communities_error(&shp);
    assert!(
        err.contains("communities_gbk.shp: the shapefile has no .shx beside it"),
        "{err}"
    );

    let shp = copy_shapefile_set(dir.path(), "communities_gbk");
    std::fs::remove_file(dir.path().join("communities_gbk.dbf")).unwrap();
    let err = communities_error(&shp);
    assert!(
        err.contains("has no .dbf beside it (its attributes)"),
        "{err}"
    );

    // The .shp cut short: the index points past its end.
    let shp = copy_shapefile_set(dir.path(), "communities_gbk");
    let bytes = std::fs::read(&shp).unwrap();
    std::fs::write(&shp, &bytes[..bytes.len() - 100]).unwrap();
    let err = communities_error(&shp);
    assert!(
        err.contains("communities_gbk.shp: record 21: the .shx puts it at byte"),
        "{err}"
    );

    // A .dbf that declares more records than it holds.
    let shp = copy_shapefile_set(dir.path(), "communities_gbk");
    let dbf = dir.path().join("communities_gbk.dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    bytes[4..8].copy_from_slice(&(1u32 << 31).to_le_bytes());
    std::fs::write(&dbf, &bytes).unwrap();
    let err = communities_error(&shp);
    assert!(
        err.contains("communities_gbk.dbf: the header declares 2147483648 records"),
        "{err}"
    );

    // A .prj PROJ cannot read.
    let shp = copy_shapefile_set(dir.path(), "communities_gbk");
    std::fs::write(
        dir.path().join("communities_gbk.prj"),
        "PROJCS[\"made up\",GEOGCS[\"nothing\"]]",
    )
    .unwrap();
    let err = communities_error(&shp);
    assert!(
        err.contains("communities_gbk.prj") && err.contains("PROJ cannot read this definition"),
        "{err}"
    );
}

#[test]
fn a_dbf_that_decodes_in_no_candidate_encoding_names_the_record_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let shp = copy_shapefile_set(dir.path(), "communities_gbk");
    let dbf = dir.path().join("communities_gbk.dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    // The third record's name begins with 0xFF 0xFF: neither UTF-8 nor GB18030.
    let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let record = u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
    let name_offset = name_field_offset(&bytes);
    let at = header + 2 * record + name_offset;
    bytes[at] = 0xFF;
    bytes[at + 1] = 0xFF;
    std::fs::write(&dbf, &bytes).unwrap();
    let err = communities_error(&shp);
    assert!(
        err.contains("communities_gbk.dbf: record 3 (feature index 2): field \"name\": its text is not valid GB18030"),
        "{err}"
    );
}

/// Where the `name` field starts in a record (after the deletion flag).
fn name_field_offset(dbf: &[u8]) -> usize {
    let mut offset = 1;
    for d in dbf[32..].chunks_exact(32) {
        if d[0] == 0x0D {
            break;
        }
        if d[..4] == *b"name" && d[4] == 0 {
            return offset;
        }
        offset += d[16] as usize;
    }
    panic!("no name field");
}

/// Bytes changed at random in each file of a shapefile set: every reading ends in figures or
/// in an error, never a panic (the start of the hardening the readers need).
#[test]
fn a_shapefile_with_random_bytes_changed_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..300 {
        let shp = copy_shapefile_set(dir.path(), "communities_gbk");
        let ext = ["shp", "shx", "dbf"][round % 3];
        let path = dir.path().join(format!("communities_gbk.{ext}"));
        let mut bytes = std::fs::read(&path).unwrap();
        for _ in 0..1 + next() % 4 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = (next() & 0xFF) as u8;
        }
        std::fs::write(&path, &bytes).unwrap();
        let config = plan();
        let mut j = job(&config);
        let c = j.communities.as_mut().unwrap();
        c.path = shp.clone();
        let outcome = std::panic::catch_unwind(|| load_communities(c).map(|l| l.features.len()));
        assert!(
            outcome.is_ok(),
            "round {round}: a panic on a changed .{ext}"
        );
    }
}
