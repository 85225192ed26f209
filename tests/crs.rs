//! Declared CRSs give the same answer as WGS 84 input: GCJ-02 facilities, projected
//! communities, a legacy `crs` member. The sample district in data/teda is rewritten into
//! each CRS and the results compared with the WGS 84 run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use lifecircle::crs::wgs84_to_gcj02;
use lifecircle::{analyse, Analysis, Config, Job};
use serde_json::Value;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/teda")
        .join(name)
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Applies `f` to every position of every feature's geometry.
fn map_positions(doc: &mut Value, f: &dyn Fn(f64, f64) -> (f64, f64)) {
    fn walk(v: &mut Value, f: &dyn Fn(f64, f64) -> (f64, f64)) {
        let Value::Array(items) = v else { return };
        if items.len() >= 2 && items.iter().all(Value::is_number) {
            let (x, y) = f(items[0].as_f64().unwrap(), items[1].as_f64().unwrap());
            items[0] = x.into();
            items[1] = y.into();
        } else {
            items.iter_mut().for_each(|i| walk(i, f));
        }
    }
    for feature in doc["features"].as_array_mut().unwrap() {
        walk(&mut feature["geometry"]["coordinates"], f);
    }
}

fn run(communities: &Path, facilities: &Path, extra: &str) -> Analysis {
    let toml = format!(
        r#"
        [communities]
        path = "{}"
        {extra}
        [facilities]
        path = "{}"
        [[category]]
        name = "market"
        radius_m = 1000
        [[category]]
        name = "health"
        radius_m = 500
        "#,
        communities.display(),
        facilities.display()
    );
    // Per-layer `crs` lines go in `extra` for the communities; facilities get theirs below.
    let config = Config::from_toml(&toml, Path::new("test.toml")).unwrap();
    analyse(&Job::from_config(&config, Path::new(".")).unwrap()).unwrap()
}

fn assert_same(a: &Analysis, b: &Analysis, tol_share: f64, tol_m: f64) {
    for (ca, cb) in a.categories.iter().zip(&b.categories) {
        for (x, y) in ca.communities.iter().zip(&cb.communities) {
            assert!(
                (x.share - y.share).abs() < tol_share,
                "{} vs {}",
                x.share,
                y.share
            );
            let (dx, dy) = (x.nearest_m.unwrap(), y.nearest_m.unwrap());
            assert!((dx - dy).abs() < tol_m, "{dx} vs {dy}");
            assert_eq!(x.count, y.count);
        }
    }
}

#[test]
fn gcj02_facilities_declared_as_such_match_wgs84() {
    let dir = tempfile::tempdir().unwrap();
    let mut facilities = read(&sample("facilities.geojson"));
    map_positions(&mut facilities, &|x, y| {
        let g = wgs84_to_gcj02(geo::Coord { x, y });
        (g.x, g.y)
    });
    let shifted = dir.path().join("facilities_gcj02.geojson");
    std::fs::write(&shifted, facilities.to_string()).unwrap();

    let base = run(
        &sample("communities.geojson"),
        &sample("facilities.geojson"),
        "",
    );

    // Declared: converted back to WGS 84, the answer is the same (to a millimetre).
    let toml = format!(
        "[communities]\npath = \"{}\"\n[facilities]\npath = \"{}\"\ncrs = \"GCJ-02\"\n\
         [[category]]\nname = \"market\"\nradius_m = 1000\n[[category]]\nname = \"health\"\nradius_m = 500\n",
        sample("communities.geojson").display(),
        shifted.display()
    );
    let config = Config::from_toml(&toml, Path::new("t.toml")).unwrap();
    let declared = analyse(&Job::from_config(&config, Path::new(".")).unwrap()).unwrap();
    assert_eq!(declared.inputs.facilities.crs, "GCJ-02");
    assert_same(&base, &declared, 1e-6, 0.01);

    // Not declared: every facility is ~550 m off, and the figures move.
    let wrong = run(&sample("communities.geojson"), &shifted, "");
    let moved = base.categories[0]
        .communities
        .iter()
        .zip(&wrong.categories[0].communities)
        .map(|(a, b)| (a.nearest_m.unwrap() - b.nearest_m.unwrap()).abs())
        .fold(0.0, f64::max);
    assert!(
        moved > 300.0,
        "undeclared GCJ-02 moved nearest distances by only {moved} m"
    );
}

#[test]
fn projected_communities_with_a_legacy_crs_member_match_wgs84() {
    let dir = tempfile::tempdir().unwrap();
    let mut communities = read(&sample("communities.geojson"));
    let to_utm = proj::Proj::new_known_crs("EPSG:4326", "EPSG:32650", None).unwrap();
    map_positions(&mut communities, &|x, y| to_utm.convert((x, y)).unwrap());
    communities["crs"] = serde_json::json!({
        "type": "name",
        "properties": {"name": "urn:ogc:def:crs:EPSG::32650"}
    });
    let projected = dir.path().join("communities_utm.geojson");
    std::fs::write(&projected, communities.to_string()).unwrap();

    let base = run(
        &sample("communities.geojson"),
        &sample("facilities.geojson"),
        "",
    );
    let from_utm = run(&projected, &sample("facilities.geojson"), "");
    assert_eq!(
        from_utm.inputs.communities.as_ref().unwrap().crs,
        "EPSG:32650"
    );
    assert_eq!(
        from_utm.inputs.communities.as_ref().unwrap().crs_source,
        "crs member of the file"
    );
    assert_same(&base, &from_utm, 1e-6, 0.01);

    // The same file declared as WGS 84 is refused: metres are not degrees.
    let toml = format!(
        "[communities]\npath = \"{}\"\ncrs = \"EPSG:4326\"\n[facilities]\npath = \"{}\"\n\
         [[category]]\nname = \"market\"\nradius_m = 1000\n",
        projected.display(),
        sample("facilities.geojson").display()
    );
    let config = Config::from_toml(&toml, Path::new("t.toml")).unwrap();
    let err = analyse(&Job::from_config(&config, Path::new(".")).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("feature 0 (id \"TEDA-01\")"), "{err}");
    assert!(err.contains("out of range for longitude/latitude"), "{err}");
}

#[test]
fn outputs_are_wgs84_whatever_the_input_crs() {
    // Communities in GCJ-02, declared: communities.geojson must hold the WGS 84 originals.
    let dir = tempfile::tempdir().unwrap();
    let original = read(&sample("communities.geojson"));
    let mut shifted = original.clone();
    map_positions(&mut shifted, &|x, y| {
        let g = wgs84_to_gcj02(geo::Coord { x, y });
        (g.x, g.y)
    });
    let path = dir.path().join("c.geojson");
    std::fs::write(&path, shifted.to_string()).unwrap();
    let toml = format!(
        "[communities]\npath = \"{}\"\ncrs = \"GCJ-02\"\n[facilities]\npath = \"{}\"\n\
         [[category]]\nname = \"market\"\nradius_m = 1000\n[output]\ndir = \"{}\"\n",
        path.display(),
        sample("facilities.geojson").display(),
        dir.path().join("out").display()
    );
    let config = Config::from_toml(&toml, Path::new("t.toml")).unwrap();
    let job = Job::from_config(&config, Path::new(".")).unwrap();
    lifecircle::run(&job).unwrap();
    let written = read(&dir.path().join("out/communities.geojson"));
    let positions = |doc: &Value| {
        let mut out = Vec::new();
        fn collect(v: &Value, out: &mut Vec<(f64, f64)>) {
            match v {
                Value::Array(items) if items.len() >= 2 && items.iter().all(Value::is_number) => {
                    out.push((items[0].as_f64().unwrap(), items[1].as_f64().unwrap()))
                }
                Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
                _ => {}
            }
        }
        for f in doc["features"].as_array().unwrap() {
            collect(&f["geometry"]["coordinates"], &mut out);
        }
        out
    };
    let (a, b) = (positions(&original), positions(&written));
    assert!(!a.is_empty());
    assert_eq!(a.len(), b.len());
    for (p, q) in a.iter().zip(&b) {
        // Written with 7 decimals; the GCJ-02 inverse is exact to 1e-9 degrees.
        assert!(
            (p.0 - q.0).abs() < 2e-7 && (p.1 - q.1).abs() < 2e-7,
            "{p:?} vs {q:?}"
        );
    }
}
