//! The files planners hold: the sample district written as CSV tables, read back, gives the
//! same figures and names as the GeoJSON it came from.
//!
//! Facilities as a GB18030 table with a WKT column (points, the two polygon facilities and
//! the one with several entrances), as Chinese Excel saves it; building points as a UTF-8
//! table with lon/lat columns.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use lifecircle::{analyse, Analysis, Config, Job};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn features(rel: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["features"].as_array().unwrap().clone()
}

/// A GeoJSON position list as WKT coordinates, every number written so it reads back the
/// same.
fn wkt_coords(v: &Value) -> String {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} {}", p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect::<Vec<_>>()
        .join(",")
}

fn wkt(geometry: &Value) -> String {
    let c = &geometry["coordinates"];
    match geometry["type"].as_str().unwrap() {
        "Point" => format!(
            "POINT({} {})",
            c[0].as_f64().unwrap(),
            c[1].as_f64().unwrap()
        ),
        "MultiPoint" => format!("MULTIPOINT({})", wkt_coords(c)),
        "Polygon" => format!(
            "POLYGON({})",
            c.as_array()
                .unwrap()
                .iter()
                .map(|ring| format!("({})", wkt_coords(ring)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => panic!("no WKT for {other}"),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => format!("\"{}\"", s.replace('"', "\"\"")),
        other => other.to_string(),
    }
}

/// Writes the sample's facilities (GB18030, WKT) and buildings (UTF-8, lon/lat) as CSV.
fn write_tables(dir: &Path) -> (PathBuf, PathBuf) {
    let mut facilities = String::from("id,category,name,floor_area_m2,wkt\n");
    for f in features("data/teda/facilities.geojson") {
        let p = &f["properties"];
        facilities.push_str(&format!(
            "{},{},{},{},\"{}\"\n",
            cell(&p["id"]),
            cell(&p["category"]),
            cell(&p["name"]),
            cell(p.get("floor_area_m2").unwrap_or(&Value::Null)),
            wkt(&f["geometry"])
        ));
    }
    let (gb18030, _, _) = encoding_rs::GB18030.encode(&facilities);
    let facilities_path = dir.join("facilities.csv");
    std::fs::write(&facilities_path, &gb18030).unwrap();
    assert!(
        std::str::from_utf8(&gb18030).is_err(),
        "the table must not be UTF-8"
    );

    let mut buildings = String::from("id,community,population,lon,lat\n");
    for b in features("data/teda/buildings.geojson") {
        let p = &b["properties"];
        let c = &b["geometry"]["coordinates"];
        buildings.push_str(&format!(
            "{},{},{},{},{}\n",
            cell(&p["id"]),
            cell(&p["community"]),
            cell(&p["population"]),
            c[0].as_f64().unwrap(),
            c[1].as_f64().unwrap()
        ));
    }
    let buildings_path = dir.join("buildings.csv");
    std::fs::write(&buildings_path, buildings).unwrap();
    (facilities_path, buildings_path)
}

fn plan() -> Config {
    Config::from_file(&root().join("examples/tianjin-plan.toml")).unwrap()
}

fn run(config: &Config) -> Analysis {
    analyse(&Job::from_config(config, &root().join("examples")).unwrap()).unwrap()
}

#[test]
fn the_sample_district_as_csv_tables_gives_the_same_figures_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let (facilities, buildings) = write_tables(dir.path());
    let geojson = run(&plan());
    let mut config = plan();
    config.facilities.path = facilities;
    if let Some(d) = config.demand.as_mut() {
        d.path = buildings;
    }
    let csv = run(&config);

    let summaries = |a: &Analysis| -> Vec<Value> {
        a.categories
            .iter()
            .map(|c| serde_json::to_value(&c.summary).unwrap())
            .collect()
    };
    assert_eq!(summaries(&csv), summaries(&geojson));
    let names = |a: &Analysis| -> Vec<(String, Option<String>)> {
        a.facilities
            .iter()
            .map(|f| (f.id.clone(), f.category.clone()))
            .collect()
    };
    assert_eq!(names(&csv), names(&geojson));
    for (a, b) in csv.categories.iter().zip(&geojson.categories) {
        for (x, y) in a.communities.iter().zip(&b.communities) {
            assert_eq!(x.share, y.share);
            assert_eq!(x.nearest_m, y.nearest_m);
        }
    }
    assert!(
        csv.warnings.iter().any(|w| w.to_string().ends_with(
            "facilities.csv: text read as GB18030 (no declared encoding, and the text is not \
                 UTF-8: taken as the GBK family Chinese Windows writes; declare encoding = \
                 \"...\" if it is another)"
        )),
        "{:?}",
        csv.warnings
    );
}

#[test]
fn a_csv_value_that_is_not_a_number_names_the_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let (_, buildings) = write_tables(dir.path());
    let text = std::fs::read_to_string(&buildings).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Row 3's latitude, as a spreadsheet might hold it.
    let fields: Vec<&str> = lines[3].split(',').collect();
    lines[3] = format!(
        "{},{},{},{},39°03'",
        fields[0], fields[1], fields[2], fields[3]
    );
    std::fs::write(&buildings, lines.join("\n")).unwrap();
    let mut config = plan();
    if let Some(d) = config.demand.as_mut() {
        d.path = buildings.clone();
    }
    let err = analyse(&Job::from_config(&config, &root().join("examples")).unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.ends_with("buildings.csv: row 3 (line 4), column \"lat\": \"39°03'\" is not a number"),
        "{err}"
    );
}

/// The sample district's own results.gpkg as its input: communities and buildings read
/// back from their GeoPackage layers give the same figures and names.
#[test]
fn the_sample_district_read_back_from_its_geopackage_gives_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    // The written layers hold what the results need, not every input field: the
    // indicators' fields (floor area, workers) stay behind, so the check leaves them out.
    let plan = || {
        let mut config = plan();
        config.indicators.clear();
        config
    };
    let mut config = plan();
    config.output.dir = Some(dir.path().join("out"));
    config.output.maps = Some(false);
    config.output.report = Some(false);
    let job = Job::from_config(&config, &root().join("examples")).unwrap();
    let (geojson, _) = lifecircle::run(&job).unwrap();
    let gpkg = dir.path().join("out/results.gpkg");

    let mut config = plan();
    let c = config.communities.as_mut().unwrap();
    c.path = gpkg.clone();
    c.layer = Some("communities".into());
    let d = config.demand.as_mut().unwrap();
    d.path = gpkg.clone();
    d.layer = Some("demand".into());
    let back = run(&config);
    for (a, b) in back.categories.iter().zip(&geojson.categories) {
        assert_eq!(
            serde_json::to_value(&a.summary).unwrap(),
            serde_json::to_value(&b.summary).unwrap()
        );
    }
    let names = |a: &Analysis| -> Vec<(String, Option<String>)> {
        a.communities
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect()
    };
    assert_eq!(names(&back), names(&geojson));
    assert!(names(&back)
        .iter()
        .any(|(_, n)| n.as_deref() == Some("丽晶社区")));

    // Several layers and none named: the message lists them.
    let mut config = plan();
    config.facilities.path = gpkg;
    let err = analyse(&Job::from_config(&config, &root().join("examples")).unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains(
            "results.gpkg: the GeoPackage holds several layers: say which with layer = \"...\""
        ),
        "{err}"
    );
    assert!(
        err.contains("communities") && err.contains("facilities"),
        "{err}"
    );
}
