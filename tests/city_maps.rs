//! Maps at a city's scale, and one map per group.
//!
//! A synthetic city of 10,000 communities (100 districts, 1,000 markets): its map must let
//! the share colours be read (they carry at least 60% of the frame's pixels, counted on the
//! PNG), no label may overlap another (their boxes as resvg lays the text out), and the
//! legend says what is drawn. The sample district's three streets each get a map per
//! category, framed on the street, and the report places them under the street's rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{examples, frame_mm, path_points};
use lifecircle::config::{Lang, Products};
use lifecircle::map::{map_png, map_svg, CategoryMaps};
use lifecircle::synth::{City, CitySpec};
use lifecircle::{style, Analysis, Config, Job};
use resvg::usvg;

/// The synthetic city (as in BENCHMARKS.md), analysed with its districts as groups.
fn city() -> (tempfile::TempDir, Analysis) {
    let dir = tempfile::tempdir().unwrap();
    let spec = CitySpec {
        communities: 10_000,
        facilities_per_category: 1_000,
        categories: vec![("market".into(), 1000.0)],
        ..CitySpec::default()
    };
    City::generate(&spec).unwrap().write(dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("city.toml")).unwrap();
    let text = text.replace(
        "households = \"households\"",
        "households = \"households\"\ngroup = \"district\"",
    );
    let config = Config::from_toml(&text, &dir.path().join("city.toml")).unwrap();
    let mut job = Job::from_config(&config, dir.path()).unwrap();
    job.out_dir = dir.path().join("out");
    let analysis = lifecircle::analyse(&job).unwrap();
    (dir, analysis)
}

fn page_width_mm(doc: &usvg::roxmltree::Document) -> f64 {
    let view_box = doc.root_element().attribute("viewBox").unwrap();
    view_box.split(' ').nth(2).unwrap().parse().unwrap()
}

fn hex(c: &str) -> [u8; 3] {
    let v = u32::from_str_radix(c.trim_start_matches('#'), 16).unwrap();
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

/// The share of the frame's pixels (a pixel in from its edge) within 8 levels of a share
/// class's colour.
fn share_class_pixels(svg: &str, png: &[u8]) -> f64 {
    let doc = usvg::roxmltree::Document::parse(svg).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgb).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let px_per_mm = f64::from(info.width) / page_width_mm(&doc);
    let [x, y, w, h] = frame_mm(&doc);
    let (x0, y0) = ((x * px_per_mm) as usize + 1, (y * px_per_mm) as usize + 1);
    let (x1, y1) = (
        ((x + w) * px_per_mm) as usize - 1,
        ((y + h) * px_per_mm) as usize - 1,
    );
    let classes: Vec<[u8; 3]> = style::SHARE_COLOURS.iter().map(|c| hex(c)).collect();
    let (mut hits, mut all) = (0usize, 0usize);
    for row in y0..y1 {
        for col in x0..x1 {
            let i = 3 * (row * info.width as usize + col);
            let p = &rgb[i..i + 3];
            all += 1;
            if classes
                .iter()
                .any(|c| (0..3).all(|k| p[k].abs_diff(c[k]) <= 8))
            {
                hits += 1;
            }
        }
    }
    hits as f64 / all as f64
}

/// The boxes (page mm) of the texts inside the group with `id`, as resvg lays them out.
fn text_boxes(svg: &str, id: &str) -> Vec<(String, usvg::Rect)> {
    let mut options = usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    let tree = usvg::Tree::from_str(svg, &options).unwrap();
    let group = find_group(tree.root(), id).unwrap_or_else(|| panic!("no group {id}"));
    let mut out = Vec::new();
    collect_texts(group, &mut out);
    // The tree is in CSS pixels; the page in mm.
    let doc = usvg::roxmltree::Document::parse(svg).unwrap();
    let px_per_mm = tree.size().width() / page_width_mm(&doc) as f32;
    out.into_iter()
        .map(|(t, r)| {
            let mm = usvg::Rect::from_ltrb(
                r.left() / px_per_mm,
                r.top() / px_per_mm,
                r.right() / px_per_mm,
                r.bottom() / px_per_mm,
            );
            (t, mm.unwrap())
        })
        .collect()
}

fn find_group<'a>(g: &'a usvg::Group, id: &str) -> Option<&'a usvg::Group> {
    if g.id() == id {
        return Some(g);
    }
    g.children().iter().find_map(|n| match n {
        usvg::Node::Group(child) => find_group(child, id),
        _ => None,
    })
}

fn collect_texts(g: &usvg::Group, out: &mut Vec<(String, usvg::Rect)>) {
    for n in g.children() {
        match n {
            usvg::Node::Text(t) => {
                let content: String = t.chunks().iter().map(|c| c.text()).collect();
                out.push((content, t.abs_bounding_box()));
            }
            usvg::Node::Group(child) => collect_texts(child, out),
            _ => {}
        }
    }
}

/// Pairs of labels whose boxes overlap. The lines of one label (a name over its share) are
/// centred on one anchor and follow each other, so a text whose centre is within 0.3 mm of
/// the previous one's and whose top is within 1.5 mm of its bottom joins it first.
fn overlapping(boxes: &[(String, usvg::Rect)]) -> Vec<(String, String)> {
    let mut labels: Vec<(String, usvg::Rect)> = Vec::new();
    for (text, r) in boxes {
        let centre = (r.left() + r.right()) / 2.0;
        let same = labels.last_mut().filter(|(_, l)| {
            ((l.left() + l.right()) / 2.0 - centre).abs() < 0.3
                && (r.top() - l.bottom()).abs() < 1.5
        });
        match same {
            Some((t, l)) => {
                t.push(' ');
                t.push_str(text);
                *l = usvg::Rect::from_ltrb(
                    l.left().min(r.left()),
                    l.top().min(r.top()),
                    l.right().max(r.right()),
                    l.bottom().max(r.bottom()),
                )
                .unwrap();
            }
            None => labels.push((text.clone(), *r)),
        }
    }
    let mut out = Vec::new();
    for (i, (a, ra)) in labels.iter().enumerate() {
        for (b, rb) in &labels[i + 1..] {
            let x = ra.right().min(rb.right()) - ra.left().max(rb.left());
            let y = ra.bottom().min(rb.bottom()) - ra.top().max(rb.top());
            if x > 0.05 && y > 0.05 {
                out.push((a.clone(), b.clone()));
            }
        }
    }
    out
}

#[test]
fn a_city_map_lets_the_share_colours_be_read() {
    let (_dir, analysis) = city();
    assert_eq!(analysis.communities.len(), 10_000);
    let svg = map_svg(&analysis, 0, &Products::default()).unwrap();
    let png = map_png(&svg, 150.0).unwrap();
    let share = share_class_pixels(&svg, &png);
    assert!(
        share >= 0.60,
        "share colours carry {:.1}% of the frame's pixels",
        100.0 * share
    );

    // What the scale calls for, and the legend saying so.
    assert!(svg.contains("Community boundaries: not drawn at this scale"));
    assert!(svg.contains("Boundary of each district, labelled with its share"));
    assert!(
        svg.contains("market-hatch\" patternUnits"),
        "gaps are hatched"
    );
    assert!(!svg.contains("id=\"service-area-outlines\""));
    assert!(svg.contains("id=\"group-boundaries\""));

    // Districts labelled with their coverage, none over another.
    let boxes = text_boxes(&svg, "labels");
    assert!(boxes.len() >= 2 * 80, "{} label lines", boxes.len());
    let d45 = analysis
        .groups
        .iter()
        .position(|g| g.group == "D45")
        .unwrap();
    let pct = (analysis.groups[d45].categories[0].coverage * 100.0).floor();
    assert!(
        boxes.iter().any(|(t, _)| t == "D45") && boxes.iter().any(|(t, _)| *t == format!("{pct}%")),
        "D45 and its share {pct}% among the labels"
    );
    assert_eq!(overlapping(&boxes), Vec::<(String, String)>::new());
}

#[test]
fn a_districts_map_of_the_city_is_framed_on_it_with_the_rest_faded() {
    let (_dir, analysis) = city();
    let maps = CategoryMaps::new(&analysis, 0).unwrap();
    let d22 = analysis
        .groups
        .iter()
        .position(|g| g.group == "D22")
        .unwrap();
    let svg = maps.of_group(&analysis, &Products::default(), d22).unwrap();
    assert!(svg.contains("market · D22"));
    assert!(svg.contains("Outside D22: faded"));
    // A district is 10 x 10 communities: drawn as a district, outlined and labelled.
    assert!(svg.contains("Community boundary"));
    assert!(!svg.contains("<pattern"));
    let labels = text_boxes(&svg, "labels");
    assert!(
        labels.iter().any(|(t, _)| t == "C22-22"),
        "its communities are named"
    );
    assert_eq!(overlapping(&labels), Vec::<(String, String)>::new());
    // Only what the frame shows is drawn: a tenth of the city's communities at most, and
    // the city-wide service areas and gaps cut to the frame, so the page is a small part
    // of the city's (the report inlines one per district).
    let paths = svg.matches("<path fill=\"#").count();
    assert!(paths < 1_000, "{paths} community paths drawn");
    let whole = maps.whole(&analysis, &Products::default());
    assert!(
        svg.len() * 10 < whole.len(),
        "{} bytes for the district, {} for the city",
        svg.len(),
        whole.len()
    );
}

/// The bounding box (page mm) of a path's points.
fn path_box(d: &str) -> [f64; 4] {
    let points = path_points(d);
    let min = |f: fn(&(f64, f64)) -> f64| points.iter().map(f).fold(f64::INFINITY, f64::min);
    let max = |f: fn(&(f64, f64)) -> f64| points.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
    [min(|p| p.0), min(|p| p.1), max(|p| p.0), max(|p| p.1)]
}

#[test]
fn each_street_of_the_sample_gets_a_map_per_category_framed_on_it() {
    let config = Config::from_file(&examples().join("tianjin-plan.toml")).unwrap();
    let mut job = Job::from_config(&config, &examples()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    job.out_dir = dir.path().join("out");
    job.products.layers = false;
    job.products.geopackage = false;
    job.products.maps_per_group = true;
    let (analysis, _) = lifecircle::run(&job).unwrap();
    let streets: Vec<&str> = analysis.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(streets, ["东海街", "新城街", "泰达街"]);

    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    for cat in &analysis.categories {
        let name = &cat.summary.name;
        for street in &streets {
            let svg_path = dir.path().join(format!("out/maps/{name}/{street}.svg"));
            let png_path = dir.path().join(format!("out/maps/{name}/{street}.png"));
            assert!(png_path.is_file(), "{}", png_path.display());
            let svg = std::fs::read_to_string(&svg_path).unwrap();
            let doc = usvg::roxmltree::Document::parse(&svg).unwrap();
            // Framed on the street: its outline fits the frame and spans most of it one way.
            let [x, y, w, h] = frame_mm(&doc);
            let focus = doc
                .descendants()
                .find(|n| n.attribute("id") == Some("focus"))
                .unwrap();
            let [fx0, fy0, fx1, fy1] = path_box(focus.attribute("d").unwrap());
            assert!(
                fx0 >= x && fy0 >= y && fx1 <= x + w && fy1 <= y + h,
                "{street}"
            );
            let spans = ((fx1 - fx0) / w).max((fy1 - fy0) / h);
            assert!(spans > 0.85, "{street} spans {spans:.2} of the frame");
            assert!(svg.contains(&format!("Outside {street}: faded")));
            // Under the street's rows in the report.
            assert!(md.contains(&format!("(maps/{name}/{street}.png)")));
        }
    }
    // Each street's maps follow its own table.
    let table = md.find("| 东海街 | market |").unwrap();
    let map = md.find("(maps/market/东海街.png)").unwrap();
    let next = md.find("| 新城街 | market |").unwrap();
    assert!(table < map && map < next);

    // Chinese: the same files, the words in Chinese.
    job.products.lang = Lang::Zh;
    job.out_dir = dir.path().join("zh");
    lifecircle::run(&job).unwrap();
    let svg = std::fs::read_to_string(dir.path().join("zh/maps/market/泰达街.svg")).unwrap();
    assert!(svg.contains("泰达街以外：淡化显示"));
}

#[test]
fn without_groups_the_flag_draws_the_study_maps_only() {
    let config = Config::from_file(&examples().join("tianjin-plan.toml")).unwrap();
    let mut config = config;
    config.communities.as_mut().unwrap().group = None;
    config.communities.as_mut().unwrap().group_label = None;
    let mut job = Job::from_config(&config, &examples()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    job.out_dir = dir.path().join("out");
    job.products.layers = false;
    job.products.geopackage = false;
    job.products.report = false;
    job.products.maps_per_group = true;
    let (analysis, _) = lifecircle::run(&job).unwrap();
    assert!(analysis.groups.is_empty());
    assert!(analysis
        .warnings
        .iter()
        .any(|w| w.to_string().contains("maps per group were asked for")));
    let entries: Vec<_> = std::fs::read_dir(dir.path().join("out/maps"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        entries
            .iter()
            .all(|e| e.ends_with(".svg") || e.ends_with(".png")),
        "{entries:?}"
    );
}

#[test]
fn the_overlap_check_finds_labels_over_each_other() {
    let r = |l, t, r, b| usvg::Rect::from_ltrb(l, t, r, b).unwrap();
    // A name over its share is one label; a second label over the first is caught.
    let boxes = vec![
        ("D1".to_string(), r(10.0, 10.0, 14.0, 12.5)),
        ("80%".to_string(), r(9.8, 12.3, 14.2, 14.5)),
        ("D2".to_string(), r(13.0, 13.0, 17.0, 15.5)),
    ];
    assert_eq!(
        overlapping(&boxes),
        [("D1 80%".to_string(), "D2".to_string())]
    );
}
