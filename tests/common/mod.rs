//! Helpers shared by the integration tests: small layers in UTM zone 50N metres (declared
//! `EPSG:32650`) near Tianjin, so geometry can be worked by hand.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use lifecircle::{analyse, Analysis, Config, Job, Result};
use serde_json::{json, Value};

pub const X0: f64 = 560_000.0;
pub const Y0: f64 = 4_320_000.0;

pub struct Case {
    pub dir: tempfile::TempDir,
}

impl Case {
    pub fn new() -> Case {
        Case {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn write(&self, name: &str, doc: &Value) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, doc.to_string()).unwrap();
        path
    }

    /// Runs the layers with `extra` TOML (categories, analysis) after the layer sections.
    pub fn run(&self, communities: &Value, facilities: &Value, extra: &str) -> Result<Analysis> {
        self.run_with(communities, facilities, "", extra)
    }

    /// As [`Case::run`], with `layer` lines added to the `[communities]` section.
    pub fn run_with(
        &self,
        communities: &Value,
        facilities: &Value,
        layer: &str,
        extra: &str,
    ) -> Result<Analysis> {
        let c = self.write("c.geojson", communities);
        let f = self.write("f.geojson", facilities);
        let toml = format!(
            "[communities]\npath = \"{}\"\ncrs = \"EPSG:32650\"\n{layer}\n\
             [facilities]\npath = \"{}\"\ncrs = \"EPSG:32650\"\n{extra}",
            c.display(),
            f.display()
        );
        let config = Config::from_toml(&toml, Path::new("t.toml"))?;
        analyse(&Job::from_config(&config, self.dir.path())?)
    }
}

/// A ring in local metres, shifted to the zone.
pub fn ring(points: &[(f64, f64)]) -> Value {
    Value::Array(
        points
            .iter()
            .map(|&(x, y)| json!([X0 + x, Y0 + y]))
            .collect(),
    )
}

pub fn community(id: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": {"id": id, "population": 100}, "geometry": geometry})
}

pub fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

pub fn markets(points: &[(f64, f64)]) -> Value {
    collection(
        points
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| {
                json!({"type": "Feature",
                       "properties": {"id": format!("m{i}"), "category": "market"},
                       "geometry": {"type": "Point", "coordinates": [X0 + x, Y0 + y]}})
            })
            .collect(),
    )
}

pub const MARKET_1000: &str = "[[category]]\nname = \"market\"\nradius_m = 1000\n";

/// One 100 m x 100 m community, id "a".
pub fn one_block() -> Value {
    collection(vec![community(
        "a",
        json!({"type": "Polygon", "coordinates": [square(0.0, 0.0, 100.0, 100.0)]}),
    )])
}

pub fn square(x: f64, y: f64, w: f64, h: f64) -> Value {
    ring(&[(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)])
}

/// Text of an HTML or SVG page with its entities decoded.
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Copies the shapefile set `stem` of `tests/fixtures/formats` (the parts it has) into
/// `dir`; returns the copy's `.shp`.
pub fn copy_shapefile_set(dir: &Path, stem: &str) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        let from = fixtures.join(format!("{stem}.{ext}"));
        if from.exists() {
            std::fs::copy(&from, dir.join(format!("{stem}.{ext}"))).unwrap();
        }
    }
    dir.join(format!("{stem}.shp"))
}

/// The examples folder, whose configurations read `data/`.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// A map's frame (its first clip rectangle), page mm: x, y, width, height.
pub fn frame_mm(doc: &resvg::usvg::roxmltree::Document) -> [f64; 4] {
    let r = doc
        .descendants()
        .find(|n| n.has_tag_name("clipPath"))
        .and_then(|c| c.children().find(|n| n.has_tag_name("rect")))
        .unwrap();
    ["x", "y", "width", "height"].map(|k| r.attribute(k).unwrap().parse().unwrap())
}

/// Path data `M x y L x y ... Z` to its points.
pub fn path_points(d: &str) -> Vec<(f64, f64)> {
    d.split(['M', 'L', 'Z'])
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let mut it = s.split_whitespace().map(|v| v.parse::<f64>().unwrap());
            (it.next().unwrap(), it.next().unwrap())
        })
        .collect()
}
