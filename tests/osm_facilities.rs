//! Facilities straight from an OpenStreetMap extract: the Helsinki example's rules on
//! `Helsinki.osm.pbf` take the same elements GDAL's OSM driver finds with the same tags
//! (nodes in its `points` layer, closed ways and relations in `multipolygons`, open ways in
//! `lines`), and the pyrosm-derived point layer's supermarkets and pharmacies are among them.
//!
//! GDAL runs as `ogr2ogr` (`make test-deps` installs gdal-bin).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use lifecircle::load::load_facilities;
use lifecircle::{analyse, Config, Job};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example() -> Config {
    Config::from_file(&root().join("examples/helsinki-osm.toml")).unwrap()
}

fn job() -> Job {
    Job::from_config(&example(), &root().join("examples")).unwrap()
}

/// The category the example's rules give these tags, if any.
fn category(tags: &BTreeMap<String, String>) -> Option<&'static str> {
    let is = |k: &str, vs: &[&str]| tags.get(k).is_some_and(|v| vs.contains(&v.as_str()));
    if is("shop", &["supermarket", "convenience", "grocery"]) || is("amenity", &["marketplace"]) {
        Some("grocery")
    } else if is("amenity", &["doctors", "clinic", "pharmacy"]) || is("healthcare", &["clinic"]) {
        Some("care")
    } else if is(
        "leisure",
        &[
            "fitness_centre",
            "sports_centre",
            "pitch",
            "fitness_station",
        ],
    ) {
        Some("sport")
    } else {
        None
    }
}

/// `"k"=>"v","k2"=>"v2"` as GDAL's OSM driver writes other_tags.
fn other_tags(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let parts: Vec<&str> = text.split('"').collect();
    // k, =>, v, ",", k, ...: quoted strings at odd positions, pairs of them.
    let quoted: Vec<&str> = parts.iter().skip(1).step_by(2).copied().collect();
    for pair in quoted.chunks(2) {
        if let [k, v] = pair {
            out.insert(k.to_string(), v.to_string());
        }
    }
    out
}

/// GDAL's reading of the extract: "node/ID", "way/ID" or "relation/ID" with its category.
fn gdal_facilities() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for layer in ["points", "lines", "multipolygons"] {
        let run = Command::new("ogr2ogr")
            .args(["-f", "GeoJSON", "/vsistdout/"])
            .arg(root().join("data/helsinki/Helsinki.osm.pbf"))
            .arg(layer)
            .output()
            .unwrap_or_else(|e| {
                panic!("ogr2ogr (GDAL) could not be run ({e}): run `make test-deps`")
            });
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
        for f in doc["features"].as_array().unwrap() {
            let p = f["properties"].as_object().unwrap();
            let mut tags = other_tags(p.get("other_tags").and_then(Value::as_str).unwrap_or(""));
            for (k, v) in p {
                if let Some(v) = v.as_str() {
                    if k != "other_tags" {
                        tags.insert(k.clone(), v.to_string());
                    }
                }
            }
            let Some(cat) = category(&tags) else {
                continue;
            };
            let id = match (layer, p.get("osm_way_id").and_then(Value::as_str)) {
                ("multipolygons", Some(way)) => format!("way/{way}"),
                ("multipolygons", None) => format!("relation/{}", tags["osm_id"]),
                ("lines", _) => format!("way/{}", tags["osm_id"]),
                _ => format!("node/{}", tags["osm_id"]),
            };
            out.insert((id, cat.to_string()));
        }
    }
    out
}

#[test]
fn the_rules_take_what_gdal_finds_with_the_same_tags() {
    let layer = load_facilities(&job().facilities).unwrap();
    let ours: BTreeSet<(String, String)> = layer
        .features
        .iter()
        .map(|f| (f.id.clone(), f.category.clone().unwrap()))
        .collect();
    let gdal = gdal_facilities();
    assert_eq!(ours, gdal);
    assert!(ours.iter().any(|(id, _)| id.starts_with("way/")));
    assert_eq!(ours.len(), layer.features.len(), "no element twice");
    let note = layer.note.unwrap().to_string();
    assert!(
        note.starts_with("read from OpenStreetMap: ") && note.contains(" ways and "),
        "{note}"
    );
}

#[test]
fn the_pyrosm_points_are_among_them() {
    let layer = load_facilities(&job().facilities).unwrap();
    let ids: BTreeSet<String> = layer.features.iter().map(|f| f.id.clone()).collect();
    let text =
        std::fs::read_to_string(root().join("data/helsinki/helsinki_osm_facilities.geojson"))
            .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for f in doc["features"].as_array().unwrap() {
        let p = &f["properties"];
        let tag = p["tag"].as_str().unwrap();
        if [
            "shop=supermarket",
            "amenity=pharmacy",
            "leisure=fitness_centre",
        ]
        .contains(&tag)
        {
            let id = format!("{}/{}", p["osm_type"].as_str().unwrap(), p["osm_id"]);
            assert!(ids.contains(&id), "{id} ({tag}) is missing");
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked}");
}

#[test]
fn the_helsinki_example_runs_on_the_extract() {
    let analysis = analyse(&job()).unwrap();
    let grocery = &analysis.categories[0].summary;
    assert_eq!(grocery.name, "grocery");
    assert!(grocery.facilities >= 15, "{}", grocery.facilities);
    assert!(grocery.coverage > 0.5 && grocery.coverage <= 1.0);
}

#[test]
fn an_extract_is_not_a_community_layer() {
    let mut config = example();
    config.communities.as_mut().unwrap().path = root().join("data/helsinki/Helsinki.osm.pbf");
    let job = Job::from_config(&config, &root().join("examples")).unwrap();
    let err = analyse(&job).err().unwrap().to_string();
    assert!(
        err.contains("Helsinki.osm.pbf: an OpenStreetMap extract is read as facilities"),
        "{err}"
    );
}
