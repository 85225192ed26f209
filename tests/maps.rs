//! The coverage maps: the sample district's maps rendered through the library, checked as
//! SVG (it parses, it holds the title, the legend and Chinese labels) and as PNG (its size
//! at 150 and 300 dpi, colours of the share ramp in the map), and the scale bar against a
//! hand-made district whose metres per millimetre are worked by hand.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{
    collection, community, examples, frame_mm, markets, path_points, square, Case, MARKET_1000,
};
use lifecircle::config::{Lang, Products};
use lifecircle::map::{map_png, map_svg, png_width};
use lifecircle::{style, Config, Job};
use resvg::usvg;
use serde_json::json;

/// The Tianjin plan on the sample district, written to a temporary folder: maps only.
fn sample_run(lang: Lang) -> (tempfile::TempDir, lifecircle::Analysis) {
    let config = Config::from_file(&examples().join("tianjin-plan.toml")).unwrap();
    let mut job = Job::from_config(&config, &examples()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    job.out_dir = dir.path().join("out");
    job.products.lang = lang;
    job.products.geopackage = false;
    job.products.report = false;
    let (analysis, _) = lifecircle::run(&job).unwrap();
    (dir, analysis)
}

struct Png {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    pixels_per_metre: Option<u32>,
}

fn decode(bytes: &[u8]) -> Png {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    Png {
        width: info.width,
        height: info.height,
        rgb: buf,
        pixels_per_metre: reader.info().pixel_dims.map(|d| d.xppu),
    }
}

fn hex(c: &str) -> [f64; 3] {
    let v = u32::from_str_radix(c.trim_start_matches('#'), 16).unwrap();
    [
        (v >> 16) as f64,
        ((v >> 8) & 0xff) as f64,
        (v & 0xff) as f64,
    ]
}

fn mm(s: &str) -> f64 {
    s.trim_end_matches("mm").parse().unwrap()
}

/// All text of the SVG, one string per `<text>`.
fn texts(doc: &usvg::roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

#[test]
fn sample_maps_are_a4_wide_with_the_ramp_in_the_map() {
    let (dir, analysis) = sample_run(Lang::En);
    let maps = dir.path().join("out/maps");
    for cat in &analysis.categories {
        let name = &cat.summary.name;
        assert!(maps.join(format!("{name}.svg")).is_file(), "{name}.svg");
        assert!(maps.join(format!("{name}.png")).is_file(), "{name}.png");
    }
    let svg = std::fs::read_to_string(maps.join("market.svg")).unwrap();
    let png = decode(&std::fs::read(maps.join("market.png")).unwrap());
    let doc = usvg::roxmltree::Document::parse(&svg).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("width"), Some("210mm"));
    let page_h = mm(root.attribute("height").unwrap());
    assert!((150.0..=297.0).contains(&page_h), "page {page_h} mm tall");

    // 150 dpi at A4 width: 1,240 px, the height in proportion; the PNG says its resolution.
    assert_eq!(png.width, 1240);
    assert_eq!(png.height, (page_h * 1240.0 / 210.0).round() as u32);
    assert_eq!(png.pixels_per_metre, Some(5906));

    // Not blank: a good share of the sheet is drawn.
    let px = |x: u32, y: u32| {
        let i = 3 * (y * png.width + x) as usize;
        [
            png.rgb[i] as f64,
            png.rgb[i + 1] as f64,
            png.rgb[i + 2] as f64,
        ]
    };
    let non_white = png
        .rgb
        .chunks_exact(3)
        .filter(|p| p.iter().any(|&v| v < 245))
        .count();
    let share = non_white as f64 / (png.width * png.height) as f64;
    assert!(share > 0.3, "only {:.0}% of the sheet drawn", share * 100.0);

    // In the map frame, community fills of every share class the data has, in the
    // legend's colours (the circles' tint lies under the communities, gaps are outlined).
    let [fx, fy, fw, fh] = frame_mm(&doc);
    let scale = png.width as f64 / 210.0;
    let mut classes_seen = 0;
    for ramp in style::SHARE_COLOURS {
        let ramp = hex(ramp);
        let mut n = 0;
        for y in ((fy * scale) as u32 + 2)..(((fy + fh) * scale) as u32 - 2) {
            for x in ((fx * scale) as u32 + 2)..(((fx + fw) * scale) as u32 - 2) {
                let p = px(x, y);
                if (0..3).all(|i| (p[i] - ramp[i]).abs() <= 2.0) {
                    n += 1;
                }
            }
        }
        if n > 2000 {
            classes_seen += 1;
        }
    }
    let classes: std::collections::BTreeSet<usize> = analysis.categories[0]
        .communities
        .iter()
        .map(|c| style::share_class(c.share))
        .collect();
    assert!(
        classes.len() >= 2,
        "the sample has one class only: {classes:?}"
    );
    assert_eq!(
        classes_seen,
        classes.len(),
        "classes in the data: {classes:?}"
    );

    // 300 dpi: 2,480 px wide.
    let png300 = decode(&map_png(&svg, 300.0).unwrap());
    assert_eq!(png300.width, 2480);
    assert_eq!(png300.height, (page_h * 2480.0 / 210.0).round() as u32);
    assert_eq!(png_width(300.0), 2480);
}

#[test]
fn sample_svg_parses_and_holds_title_legend_and_chinese_labels() {
    let (dir, analysis) = sample_run(Lang::En);
    let svg = std::fs::read_to_string(dir.path().join("out/maps/market.svg")).unwrap();
    let tree = usvg::Tree::from_str(&svg, &usvg::Options::default()).unwrap();
    assert!((tree.size().width() - 210.0 / 25.4 * 96.0).abs() < 0.01);
    let doc = usvg::roxmltree::Document::parse(&svg).unwrap();
    let all = texts(&doc);
    let has = |s: &str| all.iter().any(|t| t.contains(s));
    assert!(
        has("TEDA sample district: 15-minute life circles"),
        "{all:?}"
    );
    assert!(has("Food markets"), "{all:?}");
    // The result line (wrapped at word breaks, so look for its start).
    assert!(has("of residents within 1,000 m"), "{all:?}");
    assert!(has("Share of each"), "{all:?}");
    for class in ["0–20%", "20–40%", "40–60%", "60–80%", "80–100%"] {
        assert!(has(class), "{class}: {all:?}");
    }
    assert!(has("Gap: not within reach"), "{all:?}");
    assert!(has("Scale"), "{all:?}");
    assert!(has("Map: lifecircle"), "{all:?}");
    // Every community is labelled with its Chinese name.
    let names: Vec<&str> = analysis
        .communities
        .iter()
        .map(|c| c.name.as_deref().unwrap())
        .collect();
    assert!(names.contains(&"金滨社区"));
    let labels: Vec<String> = doc
        .descendants()
        .filter(|n| n.attribute("id") == Some("labels"))
        .flat_map(|g| g.children().filter(|n| n.has_tag_name("text")))
        .map(|n| n.text().unwrap().to_string())
        .collect();
    for name in &names {
        assert!(
            labels.iter().any(|l| l == name),
            "{name} not labelled: {labels:?}"
        );
    }

    // Chinese maps: the legend in Chinese.
    let (dir, _) = sample_run(Lang::Zh);
    let svg = std::fs::read_to_string(dir.path().join("out/maps/market.svg")).unwrap();
    let doc = usvg::roxmltree::Document::parse(&svg).unwrap();
    let all = texts(&doc);
    let has = |s: &str| all.iter().any(|t| t.contains(s));
    assert!(has("比例尺"), "{all:?}");
    assert!(has("覆盖盲区"), "{all:?}");
    assert!(has("制图：lifecircle"), "{all:?}");
    assert!(has("1,000 米内覆盖"), "{all:?}");
    assert_eq!(
        doc.root_element()
            .attribute(("http://www.w3.org/XML/1998/namespace", "lang")),
        Some("zh-CN")
    );
}

#[test]
fn maps_are_the_same_bytes_every_time() {
    let (dir, analysis) = sample_run(Lang::En);
    let products = Products {
        title: "TEDA sample district: 15-minute life circles".into(),
        ..Products::default()
    };
    let a = map_svg(&analysis, 1, &products).unwrap();
    let b = map_svg(&analysis, 1, &products).unwrap();
    assert_eq!(a, b);
    assert_eq!(map_png(&a, 100.0).unwrap(), map_png(&b, 100.0).unwrap());
    // And the run wrote what the library draws.
    let config = Config::from_file(&examples().join("tianjin-plan.toml")).unwrap();
    let written = Job::from_config(&config, &examples()).unwrap().products;
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/maps/fitness.svg")).unwrap(),
        map_svg(&analysis, 1, &written).unwrap()
    );
}

#[test]
fn the_scale_bar_is_true_to_the_ground() {
    // Two 1,000 m square communities side by side in UTM 50N (the working CRS), a market
    // in the west one. The map shows 2,000 m x 1,000 m padded by 3% of 2,000 m (60 m) each
    // side: 2,120 m x 1,120 m. The frame is 190 mm wide and 190 x 1,120 / 2,120 =
    // 100.38 mm tall (within 95..185), so 190 / 2,120 = 0.089623 mm per metre. The bar is
    // the longest round length within 32 mm: 32 / 0.089623 = 357 m, so 200 m, drawn
    // 200 x 0.089623 = 17.92 mm long in 4 segments.
    let case = Case::new();
    let communities = collection(vec![
        community(
            "A",
            json!({"type": "Polygon", "coordinates": [square(0.0, 0.0, 1000.0, 1000.0)]}),
        ),
        community(
            "B",
            json!({"type": "Polygon", "coordinates": [square(1000.0, 0.0, 1000.0, 1000.0)]}),
        ),
    ]);
    let analysis = case
        .run(&communities, &markets(&[(500.0, 500.0)]), MARKET_1000)
        .unwrap();
    let svg = map_svg(&analysis, 0, &Products::default()).unwrap();
    let doc = usvg::roxmltree::Document::parse(&svg).unwrap();

    let [_, _, fw, fh] = frame_mm(&doc);
    assert_eq!(fw, 190.0);
    assert!((fh - 100.38).abs() < 0.01, "frame {fh} mm tall");

    let bar = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("scale-bar"))
        .unwrap();
    assert_eq!(bar.attribute("data-metres"), Some("200"));
    let segments: Vec<(f64, f64)> = bar
        .children()
        .filter(|n| n.has_tag_name("rect"))
        .map(|r| {
            (
                r.attribute("x").unwrap().parse().unwrap(),
                r.attribute("width").unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(segments.len(), 4);
    let bar_mm = segments.last().unwrap().0 + segments.last().unwrap().1 - segments[0].0;
    assert!((bar_mm - 17.92).abs() < 0.02, "bar {bar_mm} mm");

    // Community A, 1,000 m wide on the ground, measures 89.62 mm on the map: the same
    // scale as the bar.
    let paths: Vec<Vec<(f64, f64)>> = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("communities"))
        .unwrap()
        .children()
        .filter(|n| n.has_tag_name("path"))
        .map(|p| path_points(p.attribute("d").unwrap()))
        .collect();
    assert_eq!(paths.len(), 2);
    let xs: Vec<f64> = paths[0].iter().map(|p| p.0).collect();
    let width_a =
        xs.iter().cloned().fold(f64::MIN, f64::max) - xs.iter().cloned().fold(f64::MAX, f64::min);
    assert!((width_a - 89.62).abs() < 0.02, "A is {width_a} mm wide");
    assert!(((bar_mm / 200.0) / (width_a / 1000.0) - 1.0).abs() < 0.002);

    // 1:11,158 at A4 width, rounded to three figures.
    let all = texts(&doc);
    assert!(
        all.iter().any(|t| t == "1:11,200 printed at A4 width"),
        "{all:?}"
    );
}

#[test]
fn a_run_without_communities_maps_its_demand_points() {
    // Three demand points, one far from the only market: it is a gap and drawn as one.
    let case = Case::new();
    let points = collection(
        [("p1", 100.0, 100.0), ("p2", 300.0, 200.0), ("p3", 2500.0, 100.0)]
            .iter()
            .map(|(id, x, y)| {
                json!({"type": "Feature", "properties": {"id": id, "population": 10},
                       "geometry": {"type": "Point", "coordinates": [common::X0 + x, common::Y0 + y]}})
            })
            .collect(),
    );
    let d = case.write("d.geojson", &points);
    let f = case.write("f.geojson", &markets(&[(0.0, 0.0)]));
    let toml = format!(
        "[demand]\npath = \"{}\"\ncrs = \"EPSG:32650\"\nweight = \"population\"\nkind = \"points\"\n\
         [facilities]\npath = \"{}\"\ncrs = \"EPSG:32650\"\n{MARKET_1000}",
        d.display(),
        f.display()
    );
    let config = Config::from_toml(&toml, Path::new("t.toml")).unwrap();
    let analysis =
        lifecircle::analyse(&Job::from_config(&config, case.dir.path()).unwrap()).unwrap();
    let svg = map_svg(&analysis, 0, &Products::default()).unwrap();
    let doc = usvg::roxmltree::Document::parse(&svg).unwrap();
    let gaps = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("gaps"))
        .unwrap();
    assert_eq!(
        gaps.children().filter(|n| n.has_tag_name("circle")).count(),
        1
    );
    let covered = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("demand-points"))
        .unwrap();
    assert_eq!(
        covered
            .children()
            .filter(|n| n.has_tag_name("circle"))
            .count(),
        2
    );
    let png = decode(&map_png(&svg, 60.0).unwrap());
    assert_eq!(png.width, png_width(60.0));
}
