//! `results.gpkg` and the `.qml` styles, checked from outside: GDAL's `ogrinfo` opens the
//! GeoPackage of the sample district's run (examples/tianjin-plan.toml) and must find every
//! layer as its GeoJSON has it, in EPSG:4326, with a working spatial index; the styles are
//! parsed as XML and must hold the renderers and the colours of `lifecircle::style`.
//!
//! `ogrinfo` comes with GDAL (`make test-deps` installs it); without it these tests fail.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use lifecircle::qml::rgba;
use lifecircle::style::{
    category_colour, CIRCLE_FILL_OPACITY, GAP_COLOUR, NO_DATA_COLOUR, SHARE_COLOURS,
};
use lifecircle::{Analysis, Config, Job};
use serde_json::Value;

/// The sample district's run, once for all tests: its output folder and analysis.
struct Run {
    _dir: tempfile::TempDir,
    out: PathBuf,
    analysis: Analysis,
    products: lifecircle::config::Products,
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let config = Config::from_file(&examples.join("tianjin-plan.toml")).unwrap();
        let mut job = Job::from_config(&config, &examples).unwrap();
        let dir = tempfile::tempdir().unwrap();
        job.out_dir = dir.path().join("out");
        job.products.geopackage = true;
        job.products.maps = false;
        job.products.report = false;
        let (analysis, _) = lifecircle::run(&job).unwrap();
        Run {
            out: job.out_dir.clone(),
            _dir: dir,
            analysis,
            products: job.products.clone(),
        }
    })
}

/// The layers of the run, in the order written, with their GeoJSON.
fn layers(run: &Run) -> Vec<(String, Value)> {
    lifecircle::layers::kinds(&run.analysis)
        .into_iter()
        .map(|k| {
            let name = lifecircle::layers::build(&run.analysis, k).name;
            let text = std::fs::read_to_string(run.out.join(format!("{name}.geojson"))).unwrap();
            (name, serde_json::from_str(&text).unwrap())
        })
        .collect()
}

/// `ogrinfo ARGS`: its stdout; fails the test, saying what to install, without GDAL.
fn ogrinfo(args: &[&str]) -> String {
    let out = match Command::new("ogrinfo").args(args).output() {
        Ok(out) => out,
        Err(e) => panic!(
            "ogrinfo (GDAL) could not be run ({e}): these tests need it: run `make test-deps` \
             (installs gdal-bin)"
        ),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ogrinfo {args:?} failed: {stderr}");
    // GDAL warns about anything in a GeoPackage it finds off the standard.
    assert!(
        !stderr.contains("Warning") && !stderr.contains("ERROR"),
        "ogrinfo {args:?} complained: {stderr}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of the one field of the one row `sql` returns, as ogrinfo prints it.
fn sql_value(file: &str, sql: &str) -> String {
    let out = ogrinfo(&["-ro", file, "-sql", sql]);
    let line = out
        .lines()
        .find(|l| l.starts_with("  ") && l.contains(") = "))
        .unwrap_or_else(|| panic!("no value from {sql}: {out}"));
    line.rsplit(") = ").next().unwrap().trim().to_string()
}

fn gpkg(run: &Run) -> String {
    run.out.join("results.gpkg").display().to_string()
}

/// The field type GDAL reports for a JSON value's kind.
fn gdal_type(v: &Value) -> Option<&'static str> {
    match v {
        Value::Null => None,
        Value::Bool(_) => Some("Integer(Boolean)"),
        Value::Number(n) if n.is_i64() => Some("Integer64"),
        Value::Number(_) => Some("Real"),
        _ => Some("String"),
    }
}

#[test]
fn every_layer_opens_in_gdal_as_its_geojson_has_it() {
    let run = run();
    let file = gpkg(run);
    let layers = layers(run);
    assert!(layers.len() >= 4, "the sample run writes at least 4 layers");

    // The layer list: the feature layers in order, then the styles table.
    let listing = ogrinfo(&["-ro", "-q", &file]);
    let listed: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(_, rest)| rest))
        .map(|rest| rest.split(" (").next().unwrap())
        .collect();
    let mut expected: Vec<&str> = layers.iter().map(|(n, _)| n.as_str()).collect();
    // Drawing order, bottom first: service areas under the communities, gaps above them,
    // facilities on top.
    let at = |name: &str| expected.iter().position(|n| *n == name).unwrap();
    assert_eq!(
        &expected[..4],
        [
            "circles_market",
            "circles_fitness",
            "circles_health",
            "circles_elderly_care"
        ]
    );
    assert!(
        at("communities") == 4 && at("gaps_market") > at("demand"),
        "{expected:?}"
    );
    assert_eq!(expected.last(), Some(&"facilities"));
    expected.push("layer_styles");
    assert_eq!(listed, expected, "{listing}");

    for (name, doc) in &layers {
        let features = doc["features"].as_array().unwrap();
        let info = ogrinfo(&["-ro", "-so", &file, name]);
        let geometry = {
            let types: BTreeSet<&str> = features
                .iter()
                .map(|f| f["geometry"]["type"].as_str().unwrap())
                .collect();
            if types.contains("MultiPoint") {
                "Multi Point"
            } else if types.contains("Point") {
                "Point"
            } else {
                "Multi Polygon"
            }
        };
        assert!(
            info.contains(&format!("\nGeometry: {geometry}\n")),
            "{name}: expected {geometry}:\n{info}"
        );
        assert!(
            info.contains(&format!("\nFeature Count: {}\n", features.len())),
            "{name}: expected {} features:\n{info}",
            features.len()
        );
        assert!(
            info.contains("ID[\"EPSG\",4326]]"),
            "{name}: not EPSG:4326:\n{info}"
        );
        assert!(
            info.contains("FID Column = fid\nGeometry Column = geom\n"),
            "{info}"
        );

        // Every property of the GeoJSON is a field, typed by its values.
        let fields: Vec<(String, String)> = info
            .split("Geometry Column = geom\n")
            .nth(1)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once(": "))
            .map(|(n, t)| (n.to_string(), t.split(" (").next().unwrap().to_string()))
            .collect();
        let mut want: Vec<(String, String)> = Vec::new();
        for f in features {
            for (key, value) in f["properties"].as_object().unwrap() {
                let ty = gdal_type(value);
                match want.iter_mut().find(|(k, _)| k == key) {
                    None => want.push((key.clone(), ty.unwrap_or("?").to_string())),
                    Some((_, t)) => {
                        if let Some(ty) = ty {
                            if t == "?" {
                                *t = ty.to_string();
                            } else if *t != ty {
                                let both = [t.as_str(), ty];
                                *t = if both.contains(&"Real") && both.contains(&"Integer64") {
                                    "Real".into()
                                } else {
                                    "String".into()
                                };
                            }
                        }
                    }
                }
            }
        }
        for (_, t) in want.iter_mut() {
            if t == "?" {
                *t = "String".into();
            }
        }
        assert_eq!(fields, want, "{name}: fields");
    }
}

#[test]
fn communities_keep_their_values_and_shapes() {
    let run = run();
    let file = gpkg(run);
    let layers = layers(run);
    let (_, doc) = layers.iter().find(|(n, _)| n == "communities").unwrap();
    let first = &doc["features"][0];
    // GDAL reads the first community back: its name, share and area, as the GeoJSON has them.
    let out = ogrinfo(&[
        "-ro",
        &file,
        "-sql",
        "SELECT name, market_share, market_meets, ST_Area(geom) AS a FROM communities WHERE fid = 1",
    ]);
    let name = first["properties"]["name"].as_str().unwrap();
    assert!(out.contains(&format!("name (String) = {name}")), "{out}");
    let share = first["properties"]["market_share"].as_f64().unwrap();
    let line = out
        .lines()
        .find(|l| l.contains("market_share (Real) = "))
        .unwrap();
    let got: f64 = line.rsplit(" = ").next().unwrap().trim().parse().unwrap();
    assert!((got - share).abs() < 1e-12, "{line} vs {share}");
    let meets = first["properties"]["market_meets"].as_bool().unwrap();
    assert!(out.contains(&format!(
        "market_meets (Integer(Boolean)) = {}",
        u8::from(meets)
    )));
    // The area in square degrees, by the shoelace formula on the GeoJSON's rings.
    let shoelace = |ring: &Value| -> f64 {
        let pts = ring.as_array().unwrap();
        pts.windows(2)
            .map(|w| {
                let (a, b) = (&w[0], &w[1]);
                a[0].as_f64().unwrap() * b[1].as_f64().unwrap()
                    - b[0].as_f64().unwrap() * a[1].as_f64().unwrap()
            })
            .sum::<f64>()
            / 2.0
    };
    let geometry = &first["geometry"];
    let polygons: Vec<&Value> = match geometry["type"].as_str().unwrap() {
        "Polygon" => vec![&geometry["coordinates"]],
        _ => geometry["coordinates"].as_array().unwrap().iter().collect(),
    };
    let area: f64 = polygons
        .iter()
        .map(|p| {
            let rings = p.as_array().unwrap();
            shoelace(&rings[0]) + rings[1..].iter().map(shoelace).sum::<f64>()
        })
        .sum();
    let line = out.lines().find(|l| l.contains("a (Real) = ")).unwrap();
    let got: f64 = line.rsplit(" = ").next().unwrap().trim().parse().unwrap();
    // The GeoJSON rounds to 7 decimals; the GeoPackage keeps every digit.
    assert!(
        (got - area).abs() < 1e-6 * area.abs().max(1e-9) + 1e-12,
        "area {got} vs {area}"
    );
}

#[test]
fn the_spatial_index_holds_every_feature_and_follows_edits() {
    let run = run();
    let file = gpkg(run);
    for (name, doc) in layers(run) {
        let n = doc["features"].as_array().unwrap().len();
        let has = sql_value(&file, &format!("SELECT HasSpatialIndex('{name}', 'geom')"));
        assert_eq!(has, "1", "{name}: no spatial index");
        // Each index entry holds its feature's envelope, as GDAL computes it from the blob
        // (the R*Tree stores 32-bit floats, rounded outwards).
        let right = sql_value(
            &file,
            &format!(
                "SELECT count(*) FROM \"{name}\" t JOIN \"rtree_{name}_geom\" r ON r.id = t.fid \
                 WHERE r.minx <= ST_MinX(t.geom) AND r.maxx >= ST_MaxX(t.geom) \
                 AND r.miny <= ST_MinY(t.geom) AND r.maxy >= ST_MaxY(t.geom) \
                 AND ST_MinX(t.geom) - r.minx < 1e-4 AND r.maxx - ST_MaxX(t.geom) < 1e-4"
            ),
        );
        assert_eq!(
            right,
            n.to_string(),
            "{name}: index entries holding their feature"
        );
    }

    // Editing in GDAL (as QGIS does) keeps the index right: the triggers fire.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("edit.gpkg");
    std::fs::copy(&file, &copy).unwrap();
    let copy = copy.display().to_string();
    let count = |sql: &str| sql_value(&copy, sql);
    let before: usize = count("SELECT count(*) FROM rtree_communities_geom")
        .parse()
        .unwrap();
    ogrinfo(&[
        "-update",
        &copy,
        "-sql",
        "DELETE FROM communities WHERE fid = 1",
    ]);
    ogrinfo(&[
        "-update",
        &copy,
        "-sql",
        "UPDATE communities SET geom = (SELECT geom FROM communities WHERE fid = 2) WHERE fid = 3",
    ]);
    let after: usize = count("SELECT count(*) FROM rtree_communities_geom")
        .parse()
        .unwrap();
    assert_eq!(after, before - 1);
    assert_eq!(
        count("SELECT count(*) FROM rtree_communities_geom WHERE id = 1"),
        "0"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM rtree_communities_geom a, rtree_communities_geom b \
             WHERE a.id = 3 AND b.id = 2 AND a.minx = b.minx AND a.maxy = b.maxy"
        ),
        "1"
    );
}

#[test]
fn each_layer_has_one_default_style_the_same_as_its_qml() {
    let run = run();
    let db = rusqlite::Connection::open_with_flags(
        run.out.join("results.gpkg"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    for (name, _) in layers(run) {
        let defaults: Vec<(String, String, String)> = db
            .prepare(
                "SELECT styleQML, f_table_catalog || '|' || f_table_schema, f_geometry_column \
                 FROM layer_styles WHERE f_table_name = ?1 AND useAsDefault = 1",
            )
            .unwrap()
            .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(defaults.len(), 1, "{name}: one default style");
        let qml = std::fs::read_to_string(run.out.join(format!("{name}.qml"))).unwrap();
        assert_eq!(defaults[0].0, qml, "{name}: the default style is the .qml");
        // What QGIS matches a style to its layer on.
        assert_eq!(defaults[0].1, "|");
        assert_eq!(defaults[0].2, "geom");
    }
    // Communities also carry a style per further category, not applied on opening.
    let others: Vec<String> = db
        .prepare(
            "SELECT styleName FROM layer_styles WHERE f_table_name = 'communities' \
             AND useAsDefault = 0 ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let names: Vec<String> = run.analysis.categories[1..]
        .iter()
        .map(|c| format!("{} share", c.summary.name))
        .collect();
    assert_eq!(others, names);
    let kind: String = db
        .query_row(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind, "attributes");
    let (app, version): (i64, i64) = db
        .query_row(
            "SELECT * FROM pragma_application_id, pragma_user_version",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((app, version), (0x4750_4B47, 10300));
}

#[test]
fn the_same_analysis_gives_the_same_bytes() {
    let run = run();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.gpkg"), dir.path().join("b.gpkg"));
    lifecircle::gpkg::write_gpkg(&run.analysis, &a).unwrap();
    lifecircle::gpkg::write_gpkg(&run.analysis, &b).unwrap();
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(a == b, "two writes differ");
    // The run's file holds the QGIS project as well: written again, the same bytes.
    let c = dir.path().join("c.gpkg");
    lifecircle::gpkg::write_gpkg_with_project(&run.analysis, &c, Some(&run.products)).unwrap();
    let c = std::fs::read(c).unwrap();
    assert!(
        c == std::fs::read(run.out.join("results.gpkg")).unwrap(),
        "the run's file differs"
    );
    assert!(a != c, "the project is missing");
}

#[test]
fn a_folder_in_the_way_is_an_error_naming_the_file() {
    let run = run();
    let dir = tempfile::tempdir().unwrap();
    // A folder where the file should go cannot be removed as a file.
    let path = dir.path().join("results.gpkg");
    std::fs::create_dir(&path).unwrap();
    let err = lifecircle::gpkg::write_gpkg(&run.analysis, &path).unwrap_err();
    assert!(err.to_string().contains("results.gpkg"), "{err}");
    // SQLite refusing the file: a folder that does not exist.
    let path = dir.path().join("missing").join("results.gpkg");
    let err = lifecircle::gpkg::write_gpkg(&run.analysis, &path).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&path.display().to_string()) && text.contains("GeoPackage"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// The .qml styles
// ---------------------------------------------------------------------------------------

/// A QML document (it starts with a DOCTYPE).
fn parse_qml(text: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, options).unwrap()
}

/// The `value` of `<Option name=NAME>` inside an element.
fn option<'a>(el: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    el.descendants()
        .find(|n| n.has_tag_name("Option") && n.attribute("name") == Some(name))
        .and_then(|n| n.attribute("value"))
}

/// Per symbol, its first symbol layer's fill colour, outline colour and outline width.
fn symbol_colours<'a>(symbols: roxmltree::Node<'a, 'a>) -> Vec<(String, String, String)> {
    symbols
        .children()
        .filter(|n| n.has_tag_name("symbol"))
        .map(|s| {
            let layer = s.children().find(|n| n.has_tag_name("layer")).unwrap();
            // The same value as a <prop> too, for QGIS before 3.22.
            let prop = layer
                .children()
                .find(|n| n.has_tag_name("prop") && n.attribute("k") == Some("color"))
                .and_then(|n| n.attribute("v"));
            assert_eq!(prop, option(layer, "color"));
            (
                option(layer, "color").unwrap().to_string(),
                option(layer, "outline_color").unwrap().to_string(),
                option(layer, "outline_width").unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn each_style_draws_its_layer_in_the_shared_colours() {
    let run = run();
    let a = &run.analysis;
    for (name, geojson) in layers(run) {
        let text = std::fs::read_to_string(run.out.join(format!("{name}.qml"))).unwrap();
        assert!(text.starts_with("<!DOCTYPE qgis"), "{name}");
        let doc = parse_qml(&text);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "qgis");
        let renderer = root
            .children()
            .find(|n| n.has_tag_name("renderer-v2"))
            .unwrap();
        let kind = renderer.attribute("type").unwrap();
        let symbols = renderer
            .children()
            .find(|n| n.has_tag_name("symbols"))
            .unwrap();
        let colours = symbol_colours(symbols);
        let geometry_type = root
            .children()
            .find(|n| n.has_tag_name("layerGeometryType"))
            .and_then(|n| n.text())
            .unwrap();
        let label_field = root
            .descendants()
            .find(|n| n.has_tag_name("text-style"))
            .and_then(|n| n.attribute("fieldName"));

        if name == "communities" || name == "demand" {
            assert_eq!(kind, "graduatedSymbol", "{name}");
            let field = if name == "communities" {
                "share"
            } else {
                "covered"
            };
            let first = &a.categories[0].summary.name;
            assert_eq!(
                renderer.attribute("attr"),
                Some(format!("coalesce(\"{first}_{field}\", -1)").as_str())
            );
            let ranges: Vec<(f64, f64, &str)> = renderer
                .descendants()
                .filter(|n| n.has_tag_name("range"))
                .map(|r| {
                    (
                        r.attribute("lower").unwrap().parse().unwrap(),
                        r.attribute("upper").unwrap().parse().unwrap(),
                        r.attribute("label").unwrap(),
                    )
                })
                .collect();
            assert_eq!(
                ranges,
                vec![
                    (0.8, 1.0, "80-100%"),
                    (0.6, 0.8, "60-80%"),
                    (0.4, 0.6, "40-60%"),
                    (0.2, 0.4, "20-40%"),
                    (0.0, 0.2, "0-20%"),
                    (-1.0, -1.0, "no data"),
                ]
            );
            let fills: Vec<String> = colours.iter().map(|c| c.0.clone()).collect();
            let mut want: Vec<String> = SHARE_COLOURS.iter().rev().map(|c| rgba(c, 1.0)).collect();
            want.push(rgba(NO_DATA_COLOUR, 1.0));
            assert_eq!(fills, want, "{name}");
            if name == "communities" {
                assert_eq!(geometry_type, "2");
                // Labelled with the name over the share, as on the maps.
                let want = format!(
                    "\"name\" || if(\"{first}_share\" IS NULL, '', '\\n' || \
                     format_number(floor(\"{first}_share\" * 100), 0) || '%')"
                );
                assert_eq!(label_field, Some(want.as_str()));
            } else {
                // The sample's demand is building entrances: points.
                assert_eq!(geometry_type, "0");
            }
        } else if name == "facilities" {
            assert_eq!(kind, "categorizedSymbol");
            assert_eq!(renderer.attribute("attr"), Some("category"));
            let values: Vec<&str> = renderer
                .descendants()
                .filter(|n| n.has_tag_name("category"))
                .map(|c| c.attribute("value").unwrap())
                .collect();
            let mut want: Vec<&str> = a
                .categories
                .iter()
                .map(|c| c.summary.name.as_str())
                .collect();
            want.push(""); // every other value
            assert_eq!(values, want);
            for (i, c) in colours.iter().take(a.categories.len()).enumerate() {
                assert_eq!(c.0, rgba(category_colour(i), 1.0));
            }
            assert_eq!(geometry_type, "0");
        } else if let Some(cat) = name.strip_prefix("circles_") {
            let i = a
                .categories
                .iter()
                .position(|c| c.summary.name == cat)
                .unwrap();
            assert_eq!(kind, "singleSymbol");
            assert_eq!(colours[0].0, rgba(category_colour(i), CIRCLE_FILL_OPACITY));
            assert_eq!(colours[0].1, rgba(category_colour(i), 1.0));
            assert_eq!(geometry_type, "2");
        } else if name.starts_with("gaps_") {
            assert_eq!(kind, "singleSymbol");
            assert_eq!(colours[0].1, rgba(GAP_COLOUR, 1.0));
            assert_eq!(colours[0].2, "0.8");
            assert_eq!(geometry_type, "2");
            // Labelled with the people living there, when a gap has a figure.
            let with_people = geojson["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["properties"]["population"].is_number());
            let want = with_people
                .then_some("if(\"population\" > 0, format_number(\"population\", 0), '')");
            assert_eq!(label_field, want, "{name}");
        } else {
            panic!("unexpected layer {name}");
        }
    }
}

#[test]
fn names_with_ampersands_and_chinese_stay_whole_in_the_style() {
    use common::{collection, community, markets, ring, Case};
    let case = Case::new();
    let mut c = community(
        "c1",
        serde_json::json!({"type": "Polygon",
            "coordinates": [ring(&[(0., 0.), (500., 0.), (500., 500.), (0., 500.), (0., 0.)])]}),
    );
    c["properties"]["名称 & <别名>"] = "泰达 \"一\" & 二".into();
    let analysis = case
        .run_with(
            &collection(vec![c]),
            &markets(&[(100.0, 100.0)]),
            "name = \"名称 & <别名>\"",
            "[[category]]\nname = \"market\"\nradius_m = 300\n",
        )
        .unwrap();
    let layer = lifecircle::layers::build(&analysis, lifecircle::layers::LayerKind::Communities);
    let text = lifecircle::qml::layer_qml(&analysis, &layer);
    let doc = parse_qml(&text);
    let field = doc
        .descendants()
        .find(|n| n.has_tag_name("text-style"))
        .and_then(|n| n.attribute("fieldName"));
    assert!(
        field.is_some_and(|f| f.starts_with("\"名称 & <别名>\" || ")),
        "{field:?}"
    );
}

/// The expression of the data-defined `property` (e.g. `outlineWidth`) under `node`.
fn expression<'a>(node: roxmltree::Node<'a, 'a>, property: &str) -> &'a str {
    node.descendants()
        .find(|n| n.attribute("name") == Some(property))
        .and_then(|n| option(n, "expression"))
        .unwrap_or_else(|| panic!("no {property} expression"))
}

/// The scale (1:N) in a `CASE WHEN @map_scale > N THEN ...` expression.
fn scale_in(expression: &str) -> f64 {
    let after = expression.split("@map_scale > ").nth(1).unwrap();
    after.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn styles_follow_the_scale_as_the_maps_do() {
    use geo::GeodesicArea;
    let run = run();
    // The median community's side, m, by the geodesic area (the styles use another formula).
    let mut sides: Vec<f64> = run
        .analysis
        .communities
        .iter()
        .map(|c| c.boundary.geodesic_area_unsigned().sqrt())
        .collect();
    sides.sort_by(f64::total_cmp);
    let side_mm = sides[sides.len() / 2] * 1000.0;
    let near = |got: f64, want: f64| (got / want - 1.0).abs() < 0.05;

    let text = std::fs::read_to_string(run.out.join("communities.qml")).unwrap();
    let doc = parse_qml(&text);
    // Labels from 10 mm a community (QGIS writes its minimum scale as scaleMax).
    let rendering = doc
        .descendants()
        .find(|n| n.has_tag_name("rendering"))
        .unwrap();
    assert_eq!(rendering.attribute("scaleVisibility"), Some("1"));
    let labels_below: f64 = rendering.attribute("scaleMax").unwrap().parse().unwrap();
    assert!(
        near(labels_below, side_mm / 10.0),
        "labels below 1:{labels_below}"
    );
    // Every class's outline thins below 6 mm a community and goes below 2.5 mm.
    let layers: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("layer") && n.attribute("class") == Some("SimpleFill"))
        .collect();
    assert_eq!(layers.len(), 7, "5 classes, no data, the source symbol");
    for layer in layers {
        let width = expression(layer, "outlineWidth");
        assert!(near(scale_in(width), side_mm / 6.0), "{width}");
        assert!(width.ends_with("THEN 0.1 ELSE 0.26 END"), "{width}");
        let style = expression(layer, "outlineStyle");
        assert!(near(scale_in(style), side_mm / 2.5), "{style}");
        assert!(style.ends_with("THEN 'no' ELSE 'solid' END"), "{style}");
    }
    // The gaps' outline thins at the same scale as the communities'.
    let gaps = std::fs::read_to_string(run.out.join("gaps_market.qml")).unwrap();
    let doc = parse_qml(&gaps);
    let width = expression(doc.root(), "outlineWidth");
    assert!(near(scale_in(width), side_mm / 6.0), "{width}");
}
