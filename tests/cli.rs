//! End-to-end tests of the `lifecircle` binary: every test builds a fresh temp folder, writes
//! its inputs there, runs the real binary in it and checks the exit code, the files written and
//! the messages a person reads on stderr.
//!
//! Exit codes: 0 success, 1 error (`lifecircle: error: ...`), 2 usage error, 3 a target missed
//! with `--fail-on-target`.

// The harness helpers below are test code outside `#[test]` functions: failing loudly is their job.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// A fresh temp folder to write inputs into and run the binary in.
struct Dir {
    tmp: tempfile::TempDir,
}

/// What one run of the binary did.
struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            tmp: tempfile::Builder::new()
                .prefix("lifecircle-cli-")
                .tempdir()
                .expect("create temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn join(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    /// Writes `contents` to `rel` (creating folders), returning the full path.
    fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent dir");
        }
        fs::write(&path, contents).expect("write input file");
        path
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    fn json(&self, rel: &str) -> Value {
        let text = self.read(rel);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}\n{text}"))
    }

    /// Runs `lifecircle ARGS` with this folder as the working directory.
    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_lifecircle"))
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("run the lifecircle binary");
        Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `lifecircle cover` on `communities.geojson` and `facilities.geojson`, category `market`,
    /// output to `out`, with `extra` flags appended.
    fn cover(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "cover",
            "--communities",
            "communities.geojson",
            "--facilities",
            "facilities.geojson",
            "--category",
            "market",
        ];
        if !extra.contains(&"--out") {
            args.extend_from_slice(&["--out", "out"]);
        }
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

impl Output {
    fn show(&self) -> String {
        format!(
            "exit code {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts exit code `code`.
    fn expect_code(&self, code: i32) -> &Output {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code\n{}",
            self.show()
        );
        self
    }

    /// Asserts success and no error output.
    fn ok(&self) -> &Output {
        self.expect_code(0);
        assert!(
            !self.stderr.contains("error"),
            "successful run printed an error\n{}",
            self.show()
        );
        self
    }

    /// Asserts an error exit (1) with one `lifecircle: error: ` message; returns the message.
    fn error(&self) -> &str {
        self.expect_code(1);
        let msg = self.stderr.trim_end();
        assert!(
            msg.starts_with("lifecircle: error: "),
            "stderr is not a lifecircle error\n{}",
            self.show()
        );
        assert_eq!(
            msg.matches("lifecircle: error: ").count(),
            1,
            "one error message expected\n{}",
            self.show()
        );
        msg
    }
}

#[track_caller]
fn assert_has(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find\n    {needle}\nin\n    {haystack}"
    );
}

// ---------------------------------------------------------------------------------------------
// GeoJSON builders: one feature per line, so line numbers in a file are predictable.
// ---------------------------------------------------------------------------------------------

/// The study area: TEDA, Tianjin (UTM zone 50N).
const LON0: f64 = 117.7;
const LAT0: f64 = 39.05;

/// Degrees of longitude / latitude per metre near `LAT0` (the sample data's own formula).
fn deg_per_m() -> (f64, f64) {
    (1.0 / (111_320.0 * LAT0.to_radians().cos()), 1.0 / 110_574.0)
}

/// A lon/lat point `east_m`, `north_m` metres from (LON0, LAT0).
fn at(east_m: f64, north_m: f64) -> (f64, f64) {
    let (dx, dy) = deg_per_m();
    (LON0 + east_m * dx, LAT0 + north_m * dy)
}

/// A Polygon geometry: a `side_m` square centred `east_m`, `north_m` metres from (LON0, LAT0).
fn square(east_m: f64, north_m: f64, side_m: f64) -> String {
    let h = side_m / 2.0;
    let ring: Vec<String> = [(-h, -h), (h, -h), (h, h), (-h, h), (-h, -h)]
        .iter()
        .map(|&(x, y)| {
            let (lon, lat) = at(east_m + x, north_m + y);
            format!("[{lon:.7},{lat:.7}]")
        })
        .collect();
    format!(
        r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
        ring.join(",")
    )
}

/// A Point geometry `east_m`, `north_m` metres from (LON0, LAT0).
fn point(east_m: f64, north_m: f64) -> String {
    let (lon, lat) = at(east_m, north_m);
    format!(r#"{{"type":"Point","coordinates":[{lon:.7},{lat:.7}]}}"#)
}

/// A feature line; `properties` is the JSON object's inside, e.g. `"id":"c1"`.
fn feature(properties: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{{{properties}}},"geometry":{geometry}}}"#)
}

/// A FeatureCollection, `{"type":...,"features":[` on line 1 and feature k on line k + 2.
fn collection(features: &[String]) -> String {
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}\n",
        features.join(",\n")
    )
}

/// One 200 m x 200 m community `c1` (1000 residents) centred on (LON0, LAT0).
fn one_community() -> String {
    collection(&[feature(
        r#""id":"c1","name":"Square","population":1000"#,
        &square(0.0, 0.0, 200.0),
    )])
}

/// `c1` as in [`one_community`] and `c2` (3000 residents), the same size 5 km east.
fn two_communities() -> String {
    collection(&[
        feature(
            r#""id":"c1","name":"Square","population":1000"#,
            &square(0.0, 0.0, 200.0),
        ),
        feature(
            r#""id":"c2","name":"Far","population":3000"#,
            &square(5000.0, 0.0, 200.0),
        ),
    ])
}

/// One market `f1` at the centre of `c1`.
fn one_market() -> String {
    collection(&[feature(
        r#""id":"f1","category":"market""#,
        &point(0.0, 0.0),
    )])
}

/// The sample district shipped with the crate.
fn teda(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/teda")
        .join(file)
}

/// Every entry of `dir` by name, with its bytes (`<dir>` for a folder).
/// Every file under `dir`, by its path relative to `dir` ("maps/market.png").
fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display())) {
        let entry = entry.expect("dir entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            for (inner, bytes) in files_in(&entry.path()) {
                out.insert(format!("{name}/{inner}"), bytes);
            }
        } else {
            out.insert(name, fs::read(entry.path()).expect("read output file"));
        }
    }
    out
}

fn no_partial_left(dir: &Path) {
    let partial: Vec<String> = files_in(dir)
        .into_keys()
        .filter(|n| n.starts_with(".lifecircle-partial"))
        .collect();
    assert!(
        partial.is_empty(),
        "staging left behind in {}: {partial:?}",
        dir.display()
    );
}

// ---------------------------------------------------------------------------------------------
// Messages for bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_json_names_the_file_and_the_line() {
    let dir = Dir::new();
    // Line 3 lacks the comma between "properties" and "geometry".
    dir.write(
        "communities.geojson",
        "{\"type\":\"FeatureCollection\",\"features\":[\n\
         {\"type\":\"Feature\",\n\
         \"properties\":{\"id\":\"c1\"} \"geometry\":null}\n\
         ]}\n",
    );
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "1000"]);
    let msg = out.error();
    assert_has(msg, "communities.geojson");
    assert_has(msg, "not valid JSON");
    assert_has(msg, "line 3, column");
    assert!(!dir.join("out").exists(), "nothing is written on error");
}

#[test]
fn non_polygon_community_is_named_with_index_and_id() {
    let dir = Dir::new();
    dir.write(
        "communities.geojson",
        &collection(&[
            feature(r#""id":"c1""#, &square(0.0, 0.0, 200.0)),
            feature(r#""id":"c2""#, &point(500.0, 0.0)),
        ]),
    );
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "1000"]);
    let msg = out.error();
    assert_has(msg, "communities.geojson");
    assert_has(msg, r#"feature 1 (id "c2")"#);
    assert_has(msg, "geometry is Point, expected Polygon or MultiPolygon");
}

#[test]
fn population_field_named_in_config_but_missing() {
    let dir = Dir::new();
    dir.write(
        "communities.geojson",
        &collection(&[
            feature(r#""id":"c1","pop":800"#, &square(0.0, 0.0, 200.0)),
            feature(r#""id":"c2","population":1200"#, &square(400.0, 0.0, 200.0)),
        ]),
    );
    dir.write("facilities.geojson", &one_market());
    dir.write(
        "plan.toml",
        r#"[communities]
path = "communities.geojson"
population = "pop"

[facilities]
path = "facilities.geojson"

[[category]]
name = "market"
radius_m = 1000
"#,
    );
    let out = dir.run(&["run", "plan.toml", "--out", "out"]);
    let msg = out.error();
    assert_has(msg, "communities.geojson");
    assert_has(msg, r#"feature 1 (id "c2")"#);
    assert_has(msg, r#"field "pop" is missing or null"#);
}

#[test]
fn unknown_category_suggests_the_near_one() {
    let dir = Dir::new();
    dir.write("communities.geojson", &one_community());
    dir.write(
        "facilities.geojson",
        &collection(&[
            feature(r#""id":"f1","category":"market""#, &point(0.0, 0.0)),
            feature(r#""id":"f2","category":"health""#, &point(50.0, 0.0)),
        ]),
    );
    let out = dir.run(&[
        "cover",
        "--communities",
        "communities.geojson",
        "--facilities",
        "facilities.geojson",
        "--category",
        "markte",
        "--radius",
        "1000",
        "--out",
        "out",
    ]);
    let msg = out.error();
    assert_has(msg, r#"category "markte""#);
    assert_has(msg, "facilities.geojson");
    assert_has(msg, r#"did you mean "market""#);
    assert_has(msg, "categories found: health, market");
}

#[test]
fn metres_in_a_lon_lat_file_are_out_of_range() {
    let dir = Dir::new();
    // UTM-like metres, but the file declares no CRS, so they are taken as WGS 84 lon/lat.
    dir.write(
        "communities.geojson",
        &collection(&[
            feature(r#""id":"c1""#, &square(0.0, 0.0, 200.0)),
            feature(
                r#""id":"m2""#,
                r#"{"type":"Polygon","coordinates":[[[562000,4322000],[562200,4322000],[562200,4322200],[562000,4322200],[562000,4322000]]]}"#,
            ),
        ]),
    );
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "1000"]);
    let msg = out.error();
    assert_has(msg, "communities.geojson");
    assert_has(msg, r#"feature 1 (id "m2")"#);
    assert_has(msg, "(562000, 4322000)");
    assert_has(msg, "out of range");
    assert_has(msg, "EPSG:4326");
}

#[test]
fn population_as_text_is_not_a_number() {
    let dir = Dir::new();
    dir.write(
        "communities.geojson",
        &collection(&[
            feature(r#""id":"c1","population":800"#, &square(0.0, 0.0, 200.0)),
            feature(
                r#""id":"c2","population":"1,234""#,
                &square(400.0, 0.0, 200.0),
            ),
        ]),
    );
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "1000"]);
    let msg = out.error();
    assert_has(msg, "communities.geojson");
    assert_has(msg, r#"feature 1 (id "c2")"#);
    assert_has(msg, r#"population is "1,234", expected a number"#);
}

#[test]
fn duplicate_community_ids_name_both_features() {
    let dir = Dir::new();
    dir.write(
        "communities.geojson",
        &collection(&[
            feature(r#""id":"c1""#, &square(0.0, 0.0, 200.0)),
            feature(r#""id":"c2""#, &square(400.0, 0.0, 200.0)),
            feature(r#""id":"c1""#, &square(800.0, 0.0, 200.0)),
        ]),
    );
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "1000"]);
    let msg = out.error();
    assert_has(msg, "communities.geojson");
    assert_has(msg, r#"feature 2 (id "c1")"#);
    assert_has(msg, "already used by feature 0");
}

#[test]
fn unknown_config_key_is_named() {
    let dir = Dir::new();
    dir.write("communities.geojson", &one_community());
    dir.write("facilities.geojson", &one_market());
    dir.write(
        "plan.toml",
        r#"[communities]
path = "communities.geojson"

[facilities]
path = "facilities.geojson"

[[category]]
name = "market"
radius = 1000
"#,
    );
    let out = dir.run(&["run", "plan.toml"]);
    let msg = out.error();
    assert_has(msg, "plan.toml");
    assert_has(msg, "line 9");
    assert_has(msg, "unknown field `radius`");
    // The key it should have been is among those offered.
    assert_has(msg, "`radius_m`");
    assert!(!dir.join("out").exists(), "nothing is written on error");
}

#[test]
fn zero_radius_is_refused() {
    let dir = Dir::new();
    dir.write("communities.geojson", &one_community());
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "0"]);
    let msg = out.error();
    assert_has(msg, r#"category "market" radius"#);
    assert_has(
        msg,
        "radius_m (--radius): is 0 m, expected a radius above 0 and at most 100000 m",
    );
    assert!(!dir.join("out").exists(), "nothing is written on error");

    // A negative radius the same way (`=` so clap does not take it for a flag).
    let out = dir.cover(&["--radius=-50"]);
    assert_has(out.error(), "is -50 m, expected a radius above 0");
}

#[test]
fn missing_input_file_is_named_and_the_os_reason_given_once() {
    let dir = Dir::new();
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "1000"]);
    let msg = out.error();
    assert_has(msg, "communities.geojson: cannot read: ");
    // The I/O reason (e.g. "No such file or directory (os error 2)") once, not twice.
    assert_eq!(msg.matches("os error").count(), 1, "{msg}");
}

#[test]
fn empty_community_layer_is_refused() {
    let dir = Dir::new();
    dir.write("communities.geojson", &collection(&[]));
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "1000"]);
    let msg = out.error().to_lowercase();
    assert_has(&msg, "communities.geojson");
    assert!(
        msg.contains("no communit") || msg.contains("no feature"),
        "the message should say the layer has no communities: {msg}"
    );
    assert!(!dir.join("out").exists(), "nothing is written on error");
}

// ---------------------------------------------------------------------------------------------
// Hand-worked results
// ---------------------------------------------------------------------------------------------

const CATEGORY_KEYS: [&str; 19] = [
    "population_basis",
    "curve",
    "curve_basis",
    "name",
    "radius_m",
    "basis",
    "target",
    "coverage",
    "meets_target",
    "population_coverage",
    "area_coverage",
    "communities_served_share",
    "communities",
    "communities_served",
    "population",
    "population_covered",
    "gap_area_m2",
    "facilities",
    "facilities_outside",
];

const TOP_KEYS: [&str; 7] = [
    "version",
    "work_crs",
    "inputs",
    "categories",
    "levels",
    "indicators",
    "groups",
];

#[track_caller]
fn assert_close(value: &Value, expected: f64, tolerance: f64) {
    let v = value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"));
    assert!(
        (v - expected).abs() <= tolerance,
        "{v} is not within {tolerance} of {expected}"
    );
}

/// Checks the keys scripts rely on are in `summary.json`, and returns its one category.
fn summary_category(dir: &Dir) -> Value {
    let summary = dir.json("out/summary.json");
    for key in TOP_KEYS {
        assert!(summary.get(key).is_some(), "summary.json lacks \"{key}\"");
    }
    assert_eq!(summary["version"], env!("CARGO_PKG_VERSION"));
    // lon 117.7 lies in UTM zone 50 (114..120 E), northern hemisphere.
    assert_eq!(summary["work_crs"], "EPSG:32650");
    let categories = summary["categories"].as_array().expect("categories array");
    assert_eq!(categories.len(), 1);
    let cat = categories[0].clone();
    for key in CATEGORY_KEYS {
        assert!(
            cat.get(key).is_some(),
            "summary.json category lacks \"{key}\": {cat}"
        );
    }
    assert_eq!(cat["name"], "market");
    assert_eq!(cat["radius_m"], 1000.0);
    cat
}

/// The output GeoJSON `rel`, checked to be a FeatureCollection; returns its features.
fn features(dir: &Dir, rel: &str) -> Vec<Value> {
    let doc = dir.json(rel);
    assert_eq!(doc["type"], "FeatureCollection", "{rel}");
    doc["features"]
        .as_array()
        .unwrap_or_else(|| panic!("{rel} has no features array"))
        .clone()
}

#[test]
fn one_market_at_the_centre_covers_the_whole_community() {
    let dir = Dir::new();
    dir.write("communities.geojson", &one_community());
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "1000", "--target", "0.95"]);
    out.ok();
    assert_has(&out.stdout, "PASS");
    assert_has(&out.stdout, "Wrote 17 files to out");
    assert_has(
        &out.stdout,
        "15-minute life circles.qgs: the QGIS project, a map theme and a print layout per category",
    );

    // A 200 m square lies well inside a 1000 m circle around its centre.
    let cat = summary_category(&dir);
    assert_eq!(cat["basis"], "population");
    assert_eq!(cat["target"], 0.95);
    assert_eq!(cat["coverage"], 1.0);
    assert_eq!(cat["meets_target"], true);
    assert_eq!(cat["population_coverage"], 1.0);
    assert_eq!(cat["area_coverage"], 1.0);
    assert_eq!(cat["communities_served_share"], 1.0);
    assert_eq!(cat["communities"], 1);
    assert_eq!(cat["communities_served"], 1);
    assert_eq!(cat["population"], 1000.0);
    assert_eq!(cat["population_covered"], 1000.0);
    assert_eq!(cat["gap_area_m2"], 0.0);
    assert_eq!(cat["facilities"], 1);
    assert_eq!(cat["facilities_outside"], 0);
    let summary = dir.json("out/summary.json");
    assert_close(
        &summary["inputs"]["communities"]["area_m2"],
        40_000.0,
        400.0,
    );
    assert_eq!(summary["inputs"]["facilities"]["by_category"]["market"], 1);

    let communities = features(&dir, "out/communities.geojson");
    assert_eq!(communities.len(), 1);
    let props = &communities[0]["properties"];
    // Input properties are kept, the category's columns added.
    assert_eq!(props["id"], "c1");
    assert_eq!(props["name"], "Square");
    assert_eq!(props["population"], 1000);
    assert_eq!(props["market_share"], 1.0);
    assert_eq!(props["market_nearest_m"], 0.0);
    assert_eq!(props["market_count"], 1);
    assert_eq!(props["market_meets"], true);

    assert!(features(&dir, "out/gaps_market.geojson").is_empty());
    let circles = features(&dir, "out/circles_market.geojson");
    assert_eq!(circles.len(), 1);
    assert_eq!(circles[0]["properties"]["category"], "market");
    assert_eq!(circles[0]["properties"]["facilities"], 1);
    assert_eq!(circles[0]["properties"]["radius_m"], 1000.0);
    assert_close(
        &circles[0]["properties"]["area_m2"],
        std::f64::consts::PI * 1e6,
        0.005 * std::f64::consts::PI * 1e6,
    );
    assert_eq!(circles[0]["geometry"]["type"], "Polygon");

    let csv = dir.read("out/summary.csv");
    let mut lines = csv.lines();
    let header = lines.next().expect("csv header");
    assert!(header.starts_with("group,name,"), "{header}");
    for key in CATEGORY_KEYS.iter().filter(|&&k| k != "curve") {
        assert!(
            header.split(',').any(|h| h == *key),
            "summary.csv lacks {key}"
        );
    }
    assert!(lines.next().expect("csv row").starts_with(",market,"));

    // The curve, by hand: a 100 m circle lies inside the (about) 200 m square, so it covers
    // pi x 100^2 of the square's area; from 200 m on, the circle holds the whole square
    // (its corners are 141 m away).
    let curves = dir.read("out/curves.csv");
    let mut rows = curves.lines();
    assert_eq!(
        rows.next(),
        Some("category,group,radius_m,coverage,basis,distance_model")
    );
    let first: Vec<&str> = rows.next().expect("a curve row").split(',').collect();
    assert_eq!(first[..3], ["market", "", "100"]);
    let area = cat["area_m2"].as_f64().expect("area_m2");
    assert!((area - 40_000.0).abs() < 400.0, "{area}");
    assert_close(
        &Value::from(first[3].parse::<f64>().expect("a number")),
        std::f64::consts::PI * 1e4 / area,
        2e-6,
    );
    assert_eq!(first[4], "population");
    assert_eq!(
        rows.next(),
        Some("market,,200,1,population,straight-line circle")
    );
    assert_eq!(rows.count(), 28, "radii 300..3000 follow");
    assert_eq!(cat["curve"][0][0], 100.0);
    assert_eq!(cat["curve"][29], serde_json::json!([3000.0, 1.0]));
}

#[test]
fn a_community_without_a_market_in_reach_is_a_gap() {
    let dir = Dir::new();
    dir.write("communities.geojson", &two_communities());
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "1000", "--target", "0.95"]);
    out.ok();
    assert_has(&out.stdout, "FAIL");

    // c1 (1000 people) fully covered, c2 (3000 people, same area) 5 km away: not at all.
    let cat = summary_category(&dir);
    assert_eq!(cat["basis"], "population");
    assert_eq!(cat["coverage"], 0.25);
    assert_eq!(cat["meets_target"], false);
    assert_eq!(cat["population_coverage"], 0.25);
    assert_close(&cat["area_coverage"], 0.5, 0.001);
    assert_eq!(cat["communities_served_share"], 0.5);
    assert_eq!(cat["communities"], 2);
    assert_eq!(cat["communities_served"], 1);
    assert_eq!(cat["population"], 4000.0);
    assert_eq!(cat["population_covered"], 1000.0);
    assert_close(&cat["gap_area_m2"], 40_000.0, 400.0);
    assert_eq!(cat["facilities"], 1);
    assert_eq!(cat["facilities_outside"], 0);

    let communities = features(&dir, "out/communities.geojson");
    assert_eq!(communities.len(), 2);
    let (c1, c2) = (&communities[0]["properties"], &communities[1]["properties"]);
    assert_eq!(c1["id"], "c1");
    assert_eq!(c1["market_share"], 1.0);
    assert_eq!(c1["market_meets"], true);
    assert_eq!(c2["id"], "c2");
    assert_eq!(c2["market_share"], 0.0);
    assert_eq!(c2["market_count"], 0);
    assert_eq!(c2["market_meets"], false);
    assert_close(&c2["market_nearest_m"], 5000.0, 25.0);

    let gaps = features(&dir, "out/gaps_market.geojson");
    assert_eq!(gaps.len(), 1, "one gap: all of c2");
    let gap = &gaps[0]["properties"];
    assert_eq!(gap["rank"], 1);
    assert_eq!(gap["community_id"], "c2");
    assert_eq!(gap["community_name"], "Far");
    assert_eq!(gap["category"], "market");
    assert_eq!(gap["population"], 3000.0);
    assert_close(&gap["area_m2"], 40_000.0, 400.0);
    assert_eq!(features(&dir, "out/circles_market.geojson").len(), 1);
}

#[test]
fn fail_on_target_exits_3_only_when_a_target_is_missed() {
    let dir = Dir::new();
    dir.write("communities.geojson", &two_communities());
    dir.write("facilities.geojson", &one_market());

    // Coverage is 25%: a 95% target is missed.
    let out = dir.cover(&["--radius", "1000", "--target", "0.95", "--fail-on-target"]);
    out.expect_code(3);
    assert!(!out.stderr.contains("error"), "{}", out.show());
    // The outputs are still written: a missed target is a finding, not a failure.
    assert_eq!(summary_category(&dir)["meets_target"], false);

    dir.cover(&["--radius", "1000", "--target", "0.95"]).ok();
    dir.cover(&["--radius", "1000", "--target", "0.2", "--fail-on-target"])
        .ok();
    dir.cover(&["--radius", "1000", "--fail-on-target"]).ok();
}

// ---------------------------------------------------------------------------------------------
// Runs and their output folder
// ---------------------------------------------------------------------------------------------

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let dir = Dir::new();
    let communities = teda("communities.geojson");
    let facilities = teda("facilities.geojson");
    // Literal TOML strings: no escapes, whatever the path holds.
    dir.write(
        "teda.toml",
        &format!(
            "[communities]\npath = '{}'\n\n[facilities]\npath = '{}'\n\n\
             [[category]]\nname = \"market\"\nradius_m = 1000\ntarget = 0.95\n",
            communities.display(),
            facilities.display()
        ),
    );
    dir.run(&["--threads", "1", "run", "teda.toml", "--out", "one"])
        .ok();
    dir.run(&["--threads", "2", "run", "teda.toml", "--out", "two"])
        .ok();

    let one = files_in(&dir.join("one"));
    let two = files_in(&dir.join("two"));
    let names: Vec<&String> = one.keys().collect();
    assert_eq!(
        names,
        [
            "15-minute life circles.qgs",
            "circles_market.geojson",
            "circles_market.qml",
            "communities.geojson",
            "communities.qml",
            "curves.csv",
            "facilities.geojson",
            "facilities.qml",
            "gaps_market.geojson",
            "gaps_market.qml",
            "maps/market.png",
            "maps/market.svg",
            "report.html",
            "report.md",
            "results.gpkg",
            "summary.csv",
            "summary.json"
        ]
    );
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &one {
        assert!(
            bytes == &two[name],
            "{name} differs between --threads 1 and --threads 2"
        );
    }
    // And it is a real result: 21 communities, some of them gaps.
    let cat = &dir.json("one/summary.json")["categories"][0];
    assert_eq!(cat["communities"], 21);
    assert_eq!(cat["facilities"], 17);
    assert!(!features(&dir, "one/gaps_market.geojson").is_empty());
}

#[test]
fn a_failed_run_leaves_the_earlier_outputs_intact() {
    let dir = Dir::new();
    dir.write("communities.geojson", &two_communities());
    dir.write("facilities.geojson", &one_market());
    dir.cover(&["--radius", "1000"]).ok();
    let before = files_in(&dir.join("out"));
    assert!(before.contains_key("summary.json"));

    dir.write(
        "facilities.geojson",
        "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\"\n",
    );
    let out = dir.cover(&["--radius", "500"]);
    assert_has(out.error(), "facilities.geojson");

    assert!(
        files_in(&dir.join("out")) == before,
        "the output folder changed after a failed run"
    );
    no_partial_left(&dir.join("out"));
}

#[test]
fn a_run_failing_while_writing_leaves_the_earlier_outputs_intact() {
    let dir = Dir::new();
    dir.write("communities.geojson", &two_communities());
    dir.write("facilities.geojson", &one_market());
    dir.cover(&["--radius", "1000"]).ok();
    let summary_before = dir.read("out/summary.json");

    // Something in the way of one output file (here a folder) makes the write fail.
    fs::remove_file(dir.join("out/gaps_market.geojson")).expect("remove gaps file");
    fs::create_dir_all(dir.join("out/gaps_market.geojson/in-the-way")).expect("mkdir");
    let out = dir.cover(&["--radius", "500"]);
    assert_has(out.error(), "gaps_market.geojson");

    no_partial_left(&dir.join("out"));
    assert_eq!(
        dir.read("out/summary.json"),
        summary_before,
        "summary.json was replaced by a run that failed"
    );
}

/// `cover` into `out` with the facilities in `data/`.
fn cover_into(dir: &Dir, out: &str) -> Output {
    dir.run(&[
        "cover",
        "--communities",
        "communities.geojson",
        "--facilities",
        "data/facilities.geojson",
        "--category",
        "market",
        "--radius",
        "1000",
        "--out",
        out,
    ])
}

#[test]
fn an_output_folder_holding_an_input_is_refused() {
    let dir = Dir::new();
    dir.write("communities.geojson", &one_community());
    let facilities = one_market();
    dir.write("data/facilities.geojson", &facilities);

    let out = cover_into(&dir, "data");
    let msg = out.error();
    assert_has(
        msg,
        "output folder data holds the input file data/facilities.geojson",
    );
    assert_eq!(dir.read("data/facilities.geojson"), facilities);
    assert!(!dir.join("data/summary.json").exists());

    // The same folder spelt another way.
    let out = cover_into(&dir, "./data/../data");
    assert_has(out.error(), "holds the input file data/facilities.geojson");
    assert!(!dir.join("data/summary.json").exists());

    // And through a configuration's [output] dir.
    dir.write(
        "plan.toml",
        "[communities]\npath = \"communities.geojson\"\n[facilities]\npath = \"data/facilities.geojson\"\n\
         [[category]]\nname = \"market\"\nradius_m = 1000\n[output]\ndir = \"data\"\n",
    );
    let out = dir.run(&["run", "plan.toml"]);
    assert_has(out.error(), "holds the input file data/facilities.geojson");
    assert!(!dir.join("data/summary.json").exists());
}

#[test]
fn the_current_folder_holding_an_input_is_refused() {
    let dir = Dir::new();
    let communities = one_community();
    dir.write("communities.geojson", &communities);
    dir.write("data/facilities.geojson", &one_market());

    // Writing communities.geojson into "." would overwrite the input.
    let out = cover_into(&dir, ".");
    assert_eq!(
        dir.read("communities.geojson"),
        communities,
        "the input was overwritten"
    );
    assert_has(out.error(), "holds the input file communities.geojson");
    assert!(!dir.join("summary.json").exists());
}

// ---------------------------------------------------------------------------------------------
// Help and usage
// ---------------------------------------------------------------------------------------------

#[test]
fn subcommand_help_has_an_example() {
    let dir = Dir::new();
    for sub in ["cover", "run"] {
        let out = dir.run(&[sub, "--help"]);
        out.ok();
        assert_has(&out.stdout, "Example");
        assert_has(&out.stdout, &format!("lifecircle {sub} "));
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = Dir::new();
    // Neither --radius nor --minutes.
    let out = dir.run(&[
        "cover",
        "--communities",
        "c.geojson",
        "--facilities",
        "f.geojson",
        "--category",
        "market",
    ]);
    out.expect_code(2);
    assert_has(&out.stderr, "--radius");
    // Both.
    let out = dir.run(&[
        "cover",
        "--communities",
        "c.geojson",
        "--facilities",
        "f.geojson",
        "--category",
        "market",
        "--radius",
        "1000",
        "--minutes",
        "15",
    ]);
    out.expect_code(2);
    assert_has(&out.stderr, "cannot be used with");
}

#[test]
fn an_interrupted_run_leaves_the_earlier_outputs_and_nothing_partial() {
    let dir = Dir::new();
    dir.write("communities.geojson", &two_communities());
    dir.write("facilities.geojson", &one_market());
    dir.cover(&["--radius", "1000"]).ok();
    let before = files_in(&dir.join("out"));

    // Held between staging and swapping, then sent SIGTERM.
    let child = Command::new(env!("CARGO_BIN_EXE_lifecircle"))
        .args([
            "cover",
            "--communities",
            "communities.geojson",
            "--facilities",
            "facilities.geojson",
            "--category",
            "market",
            "--out",
            "out",
            "--radius",
            "500",
        ])
        .current_dir(dir.path())
        .env("LIFECIRCLE_TEST_PAUSE_MS", "20000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start lifecircle");
    let staging = dir.join(&format!("out/.lifecircle-partial-{}", child.id()));
    let waited = std::time::Instant::now();
    while !staging.join("new/summary.json").exists() {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(60),
            "the run never staged its outputs"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait for lifecircle");
    assert_eq!(out.status.code(), Some(130));
    assert_has(&String::from_utf8_lossy(&out.stderr), "interrupted");

    assert!(!staging.exists(), "the staging folder was left behind");
    assert!(
        files_in(&dir.join("out")) == before,
        "the output folder changed after an interrupted run"
    );
}

#[test]
fn products_can_be_turned_off_one_by_one() {
    let dir = Dir::new();
    dir.write("communities.geojson", &one_community());
    dir.write("facilities.geojson", &one_market());
    dir.cover(&["--radius", "1000", "--no-gpkg", "--no-maps", "--no-report"])
        .ok();
    let names: Vec<String> = files_in(&dir.join("out")).into_keys().collect();
    for gone in [
        "results.gpkg",
        "maps/market.svg",
        "maps/market.png",
        "report.html",
        "report.md",
    ] {
        assert!(
            !names.iter().any(|n| n == gone),
            "{gone} written: {names:?}"
        );
    }
    assert!(names.iter().any(|n| n == "communities.qml"), "{names:?}");

    // Only the maps.
    dir.cover(&[
        "--radius",
        "1000",
        "--no-gpkg",
        "--no-report",
        "--out",
        "maps_only",
    ])
    .ok();
    let names: Vec<String> = files_in(&dir.join("maps_only")).into_keys().collect();
    assert!(names.contains(&"maps/market.png".to_string()), "{names:?}");
    assert!(!names.contains(&"report.html".to_string()), "{names:?}");
}

/// `--no-layers` with the other products off writes the summaries (and the coverage curve)
/// only, with the same figures, and skips the dissolve (no "dissolve" step in `-v`).
#[test]
fn a_summary_only_run_writes_the_same_summary_and_nothing_else() {
    let dir = Dir::new();
    dir.write("communities.geojson", &two_communities());
    dir.write("facilities.geojson", &one_market());
    let full = dir.cover(&[
        "--radius",
        "120",
        "-v",
        "--no-gpkg",
        "--no-maps",
        "--no-report",
    ]);
    full.ok();
    assert_has(&full.stderr, "lifecircle: dissolve market: ");
    let only = dir.cover(&[
        "--radius",
        "120",
        "-v",
        "--no-layers",
        "--no-gpkg",
        "--no-maps",
        "--no-report",
        "--out",
        "summary_only",
    ]);
    only.ok();
    assert!(!only.stderr.contains("dissolve"), "{}", only.show());
    let names: Vec<String> = files_in(&dir.join("summary_only")).into_keys().collect();
    assert_eq!(
        names,
        ["curves.csv", "summary.csv", "summary.json"],
        "{names:?}"
    );
    let read = |p: PathBuf| std::fs::read_to_string(p).expect("summary");
    let whole = read(dir.join("out/summary.json"));
    assert_eq!(read(dir.join("summary_only/summary.json")), whole);
    // The case is not trivial: the market covers one community in part.
    let v: Value = serde_json::from_str(&whole).expect("json");
    let coverage = v["categories"][0]["coverage"].as_f64().expect("coverage");
    assert!(coverage > 0.05 && coverage < 0.95, "{coverage}");
    assert!(v["categories"][0]["gaps"].as_u64().expect("gaps") > 0);
}

#[test]
fn piped_runs_draw_no_progress_bars_and_verbose_gives_step_times() {
    let dir = Dir::new();
    dir.write("communities.geojson", &one_community());
    dir.write("facilities.geojson", &one_market());
    let out = dir.cover(&["--radius", "1000", "--no-maps", "--no-report", "--no-gpkg"]);
    out.ok();
    assert!(
        out.stderr.is_empty(),
        "stderr of a piped run: {}",
        out.show()
    );

    let out = dir.cover(&[
        "--radius",
        "1000",
        "-v",
        "--no-maps",
        "--no-report",
        "--no-gpkg",
    ]);
    out.ok();
    for step in [
        "load: ",
        "check, project: ",
        "index: ",
        "measure market: 1 places in ",
        "curve market: ",
        "write: ",
    ] {
        assert_has(&out.stderr, &format!("lifecircle: {step}"));
    }
    // No bar or spinner characters, no carriage returns.
    assert!(
        !out.stderr.contains('\r') && !out.stderr.contains("[="),
        "{}",
        out.show()
    );

    let out = dir.cover(&[
        "--radius",
        "1000",
        "--quiet",
        "--no-maps",
        "--no-report",
        "--no-gpkg",
    ]);
    out.ok();
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        out.show()
    );
}

#[test]
fn a_rerun_replaces_the_maps_folder_and_a_file_in_its_way_is_an_error() {
    let dir = Dir::new();
    dir.write("communities.geojson", &one_community());
    dir.write("facilities.geojson", &one_market());
    dir.cover(&["--radius", "1000", "--no-gpkg", "--no-report"])
        .ok();
    // A map of a category the next run does not have disappears with the old folder.
    dir.write("out/maps/stale.svg", "<svg/>");
    dir.cover(&["--radius", "1000", "--no-gpkg", "--no-report"])
        .ok();
    let names: Vec<String> = files_in(&dir.join("out")).into_keys().collect();
    assert!(names.contains(&"maps/market.svg".to_string()), "{names:?}");
    assert!(!names.contains(&"maps/stale.svg".to_string()), "{names:?}");

    dir.write("blocked/maps", "not a folder");
    let out = dir.cover(&[
        "--radius",
        "1000",
        "--no-gpkg",
        "--no-report",
        "--out",
        "blocked",
    ]);
    out.expect_code(1);
    assert_has(
        &out.stderr,
        "maps: cannot write: a file is in the way of this output folder",
    );
    // Nothing of the failed run is left, and the file in the way is untouched.
    assert_eq!(dir.read("blocked/maps"), "not a folder");
    assert!(!dir.join("blocked/summary.json").exists(), "{}", out.show());
}

/// A street `east_m0`..`east_m1` metres along `north_m`, as a LineString feature.
fn street(id: &str, points: &[(f64, f64)]) -> String {
    let coords: Vec<String> = points
        .iter()
        .map(|&(x, y)| {
            let (lon, lat) = at(x, y);
            format!("[{lon:.7},{lat:.7}]")
        })
        .collect();
    feature(
        &format!(r#""id":"{id}""#),
        &format!(
            r#"{{"type":"LineString","coordinates":[{}]}}"#,
            coords.join(",")
        ),
    )
}

/// `cover --network`: the market stands 450 m west and 60 m south of the community's
/// centre, 30 m off the street that runs 90 m south of the centre. A circle of 500 m
/// reaches the centre (454 m); the walk is 30 + 450 + 90 = 570 m. summary.json says both
/// figures, the table has a circle column, and the network is described.
#[test]
fn cover_walks_along_the_network_and_keeps_the_circle_figure() {
    let dir = Dir::new();
    dir.write("communities.geojson", &one_community());
    dir.write(
        "facilities.geojson",
        &collection(&[feature(
            r#""id":"f1","category":"market""#,
            &point(-450.0, -60.0),
        )]),
    );
    // The street as 80 ways of 50 m, so that its 81 nodes are not an island.
    let ways: Vec<String> = (0..80)
        .map(|k| {
            let x = -2000.0 + 50.0 * f64::from(k);
            street(&format!("s{k}"), &[(x, -90.0), (x + 50.0, -90.0)])
        })
        .collect();
    dir.write("streets.geojson", &collection(&ways));
    let out = dir.cover(&[
        "--radius",
        "500",
        "--network",
        "streets.geojson",
        "--no-gpkg",
        "--no-maps",
        "--no-report",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.show());
    let summary = dir.json("out/summary.json");
    let cat = &summary["categories"][0];
    assert_eq!(cat["distance_model"], "street network");
    let (walked, circle) = (
        cat["coverage"].as_f64().unwrap(),
        cat["circle_coverage"].as_f64().unwrap(),
    );
    assert!(0.0 < walked && walked < circle, "{cat}");
    let network = &summary["inputs"]["network"];
    assert_eq!(network["source"], "line layer");
    assert_eq!(
        (network["ways_read"].as_u64(), network["nodes"].as_u64()),
        (Some(80), Some(81))
    );
    let communities = dir.json("out/communities.geojson");
    let nearest = communities["features"][0]["properties"]["market_nearest_m"]
        .as_f64()
        .unwrap();
    assert!((nearest - 570.0).abs() < 3.0, "{nearest}");
    assert_has(&out.stdout, "circle");
    assert_has(&out.stdout, "Street network: 80 ways read (line layer)");
}

#[test]
fn network_crs_without_a_network_is_refused() {
    let dir = Dir::new();
    dir.write("communities.geojson", &one_community());
    dir.write("facilities.geojson", &one_market());
    dir.write(
        "plan.toml",
        "[communities]\npath = \"communities.geojson\"\n[facilities]\npath = \"facilities.geojson\"\n\
         [[category]]\nname = \"market\"\nradius_m = 500\n",
    );
    let out = dir.run(&["run", "plan.toml", "--network-crs", "GCJ-02"]);
    assert_eq!(out.code, Some(1), "{}", out.show());
    assert_has(&out.stderr, "--network-crs: no street network given");
}

/// `lifecircle site` on the sample district: the worked example of the README, then a
/// target the candidates cannot reach, which exits 3 with --fail-on-target.
#[test]
fn site_answers_the_readme_example_and_exits_3_when_the_target_is_out_of_reach() {
    let dir = Dir::new();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/teda");
    let file = |name: &str| data.join(name).display().to_string();
    let (communities, demand, facilities) = (
        file("communities.geojson"),
        file("buildings.geojson"),
        file("facilities.geojson"),
    );
    let site = |extra: &[&str]| {
        let mut args = vec![
            "site",
            "--communities",
            &communities,
            "--demand",
            &demand,
            "--facilities",
            &facilities,
            "--category",
            "market",
            "--radius",
            "1000",
            "--basis",
            "population",
            "--out",
            "out",
            "--no-maps",
            "--no-report",
            "--no-gpkg",
        ];
        args.extend_from_slice(extra);
        dir.run(&args)
    };
    let out = site(&[
        "--target",
        "0.95",
        "--group-field",
        "street",
        "--group",
        "东海街",
        "--candidates",
        "gaps",
        "--fail-on-target",
    ]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("Where to add market (东海街")
            && out.stdout.contains("1     B0387")
            && out
                .stdout
                .contains("1 new site brings coverage to 95.4%, meeting the target 95.0%"),
        "{}",
        out.show()
    );
    assert_eq!(
        dir.json("out/summary.json")["siting"][0]["added"][0]["id"],
        "B0387"
    );

    // One candidate far to the east: 100% cannot be reached.
    dir.write(
        "lots.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"L1"},"geometry":{"type":"Point","coordinates":[117.75,39.04]}}]}"#,
    );
    let out = site(&[
        "--target",
        "1.0",
        "--candidates",
        "lots.geojson",
        "--fail-on-target",
    ]);
    out.expect_code(3);
    assert!(
        out.stdout
            .contains("cannot be reached with these candidates"),
        "{}",
        out.show()
    );
}

/// `run --no-curve` leaves the curve out whatever `[curve]` says; without it the sample's
/// curve is there.
#[test]
fn run_without_the_curve() {
    let dir = Dir::new();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tianjin-plan.toml");
    let plan = plan.to_str().unwrap();
    let quiet = ["--no-layers", "--no-gpkg", "--no-maps", "--no-report", "-q"];
    let with: Vec<&str> = ["run", plan, "--out", "with"]
        .iter()
        .chain(&quiet)
        .copied()
        .collect();
    let out = dir.run(&with);
    assert_eq!(out.code, Some(0), "{}", out.show());
    let without: Vec<&str> = ["run", plan, "--out", "without", "--no-curve"]
        .iter()
        .chain(&quiet)
        .copied()
        .collect();
    let out = dir.run(&without);
    assert_eq!(out.code, Some(0), "{}", out.show());
    let curve = |rel: &str| {
        dir.json(rel)["categories"][0]["curve"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(curve("with/summary.json"), 30);
    assert_eq!(curve("without/summary.json"), 0);
}
