//! The QGIS project of a run, read back as files: `<title>.qgs` beside `results.gpkg` and
//! the same document inside it (`qgis_projects`, a `.qgz`), its layer tree, map themes and
//! print layouts checked against the analysis. `tests/qgis/check_project.py` opens the same
//! project in QGIS itself (`make qgis-test`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use geo::BoundingRect;
use lifecircle::config::Lang;
use lifecircle::{Analysis, Config, Job};

/// A run of the sample district: its output folder and analysis.
struct Run {
    _dir: tempfile::TempDir,
    out: PathBuf,
    analysis: Analysis,
}

fn run_in(lang: Lang, with_project: bool) -> Run {
    let examples = common::examples();
    let mut config = Config::from_file(&examples.join("tianjin-plan.toml")).unwrap();
    config.output.lang = Some(lang);
    let mut job = Job::from_config(&config, &examples).unwrap();
    let dir = tempfile::tempdir().unwrap();
    job.out_dir = dir.path().join("out");
    job.products.maps = false;
    job.products.report = false;
    job.products.qgis_project = with_project;
    let (analysis, _) = lifecircle::run(&job).unwrap();
    Run {
        out: job.out_dir.clone(),
        _dir: dir,
        analysis,
    }
}

fn english() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run_in(Lang::En, true))
}

const EN_FILE: &str = "TEDA sample district - 15-minute life circles.qgs";

fn qgs(run: &Run, file: &str) -> String {
    std::fs::read_to_string(run.out.join(file)).unwrap()
}

/// The project stored in results.gpkg: its name and the `.qgs` inside its `.qgz`.
fn stored_project(gpkg: &Path) -> Option<(String, String, String)> {
    let db = rusqlite::Connection::open(gpkg).unwrap();
    let mut rows = db
        .prepare("SELECT name, metadata, content FROM qgis_projects")
        .ok()?;
    let (name, metadata, hex): (String, String, String) = rows
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    // One local entry: its name, then its deflated data.
    assert_eq!(&bytes[..4], b"PK\x03\x04");
    let packed = u32::from_le_bytes(bytes[18..22].try_into().unwrap()) as usize;
    let name_len = u16::from_le_bytes(bytes[26..28].try_into().unwrap()) as usize;
    let entry = String::from_utf8(bytes[30..30 + name_len].to_vec()).unwrap();
    assert_eq!(entry, format!("{name}.qgs"));
    let mut text = String::new();
    flate2::read::DeflateDecoder::new(&bytes[30 + name_len..30 + name_len + packed])
        .read_to_string(&mut text)
        .unwrap();
    Some((name, metadata, text))
}

#[test]
fn the_project_is_written_beside_the_geopackage_and_inside_it() {
    let run = english();
    let beside = qgs(run, EN_FILE);
    let (name, metadata, inside) = stored_project(&run.out.join("results.gpkg")).unwrap();
    assert_eq!(name, EN_FILE.trim_end_matches(".qgs"));
    assert_eq!(inside, beside);
    // No clock is read: the file depends on the analysis alone.
    assert_eq!(
        metadata,
        "{\"last_modified_time\": \"1970-01-01T00:00:00\", \"last_modified_user\": \"lifecircle\" }"
    );
    // Every layer reads the GeoPackage beside the project, by a relative path.
    let doc = parse(&beside);
    let sources: BTreeSet<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("datasource"))
        .map(|n| n.text().unwrap())
        .collect();
    let tables: BTreeSet<String> = lifecircle::layers::kinds(&run.analysis)
        .into_iter()
        .map(|k| {
            let name = lifecircle::layers::build(&run.analysis, k).name;
            format!("./results.gpkg|layername={name}")
        })
        .collect();
    assert_eq!(
        sources,
        tables.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    let relative = doc
        .descendants()
        .find(|n| n.has_tag_name("Absolute"))
        .unwrap();
    assert_eq!(relative.text(), Some("false"));
}

/// A QGIS document (it starts with a DOCTYPE).
fn parse(text: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options).unwrap()
}

/// The children of `node` with tag `tag`.
fn children<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children().filter(|n| n.has_tag_name(tag)).collect()
}

fn first<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> roxmltree::Node<'a, 'i> {
    node.descendants()
        .find(|n| n.has_tag_name(tag))
        .unwrap_or_else(|| panic!("no <{tag}>"))
}

#[test]
fn each_category_has_a_group_a_theme_and_its_styles() {
    let run = english();
    let text = qgs(run, EN_FILE);
    let doc = parse(&text);
    let root = doc.root_element();
    let names: Vec<&str> = run
        .analysis
        .categories
        .iter()
        .map(|c| c.summary.name.as_str())
        .collect();
    assert_eq!(names, ["market", "fitness", "health", "elderly_care"]);

    // The tree: a group per category, checked for the first only, holding its layers.
    let tree = children(root, "layer-tree-group")[0];
    let groups = children(tree, "layer-tree-group");
    assert_eq!(groups.len(), names.len());
    for (c, group) in groups.iter().enumerate() {
        assert!(
            group.attribute("name").unwrap().ends_with(" m"),
            "{group:?}"
        );
        let checked = if c == 0 {
            "Qt::Checked"
        } else {
            "Qt::Unchecked"
        };
        assert_eq!(group.attribute("checked"), Some(checked));
        let ids: Vec<&str> = children(*group, "layer-tree-layer")
            .iter()
            .map(|n| n.attribute("id").unwrap())
            .collect();
        let name = names[c];
        assert_eq!(
            ids,
            [
                format!("lifecircle_gaps_{name}"),
                format!("lifecircle_circles_{name}")
            ]
        );
    }
    let shared: Vec<&str> = children(tree, "layer-tree-layer")
        .iter()
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(shared, ["Communities", "Residents (demand)", "Facilities"]);
    // Drawn as the GeoJSON layers stack: facilities on top, service areas at the bottom.
    let order: Vec<&str> = children(first(tree, "custom-order"), "item")
        .iter()
        .map(|n| n.text().unwrap())
        .collect();
    assert_eq!(order.first(), Some(&"lifecircle_facilities"));
    assert_eq!(order.last(), Some(&"lifecircle_circles_market"));
    assert_eq!(first(tree, "custom-order").attribute("enabled"), Some("1"));

    // One theme per category: its layers and the shared ones in its style.
    let presets = children(first(root, "visibility-presets"), "visibility-preset");
    assert_eq!(presets.len(), names.len());
    for (c, preset) in presets.iter().enumerate() {
        let title = lifecircle::text::category_title(&run.analysis.categories[c].summary);
        assert_eq!(preset.attribute("name"), Some(title));
        let layers: BTreeSet<(&str, &str)> = children(*preset, "layer")
            .iter()
            .map(|n| (n.attribute("id").unwrap(), n.attribute("style").unwrap()))
            .collect();
        let name = names[c];
        let gaps = format!("lifecircle_gaps_{name}");
        let circles = format!("lifecircle_circles_{name}");
        let expected: BTreeSet<(&str, &str)> = [
            ("lifecircle_facilities", name),
            ("lifecircle_communities", name),
            ("lifecircle_demand", name),
            (gaps.as_str(), "default"),
            (circles.as_str(), "default"),
        ]
        .into_iter()
        .collect();
        assert_eq!(layers, expected);
    }

    // The communities hold one style per category, colouring that category's share; the
    // current one (inline) is the first's. Facilities draw only the category's own.
    let layer = |id: &str| {
        children(first(root, "projectlayers"), "maplayer")
            .into_iter()
            .find(|m| first(*m, "id").text() == Some(id))
            .unwrap()
    };
    let communities = layer("lifecircle_communities");
    let manager = first(communities, "map-layer-style-manager");
    assert_eq!(manager.attribute("current"), Some("market"));
    let inline = children(communities, "renderer-v2")[0];
    assert_eq!(
        inline.attribute("attr"),
        Some("coalesce(\"market_share\", -1)")
    );
    let styles: Vec<&str> = children(manager, "map-layer-style")
        .iter()
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(styles, names);
    for style in children(manager, "map-layer-style").iter().skip(1) {
        let name = style.attribute("name").unwrap();
        let renderer = first(*style, "renderer-v2");
        assert_eq!(
            renderer.attribute("attr"),
            Some(format!("coalesce(\"{name}_share\", -1)").as_str())
        );
    }
    let facilities = layer("lifecircle_facilities");
    let styles: Vec<&str> = children(
        first(facilities, "map-layer-style-manager"),
        "map-layer-style",
    )
    .iter()
    .map(|n| n.attribute("name").unwrap())
    .collect();
    assert_eq!(styles, names);
    for style in children(
        first(facilities, "map-layer-style-manager"),
        "map-layer-style",
    )
    .iter()
    .skip(1)
    {
        let values: Vec<&str> = first(*style, "categories")
            .children()
            .filter(|n| n.is_element())
            .map(|n| n.attribute("value").unwrap())
            .collect();
        assert_eq!(values, [style.attribute("name").unwrap()]);
    }
}

#[test]
fn each_category_has_a_print_layout_ready_to_export() {
    let run = english();
    let text = qgs(run, EN_FILE);
    let doc = parse(&text);
    let layouts = children(first(doc.root_element(), "Layouts"), "Layout");
    assert_eq!(layouts.len(), run.analysis.categories.len());
    for (c, layout) in layouts.iter().enumerate() {
        let s = &run.analysis.categories[c].summary;
        let theme = lifecircle::text::category_title(s);
        assert_eq!(layout.attribute("name"), Some(theme));
        let items: Vec<roxmltree::Node<'_, '_>> = layout
            .descendants()
            .filter(|n| n.has_tag_name("LayoutItem"))
            .collect();
        let of_type = |t: &str| -> Vec<roxmltree::Node<'_, '_>> {
            items
                .iter()
                .copied()
                .filter(|n| n.attribute("type") == Some(t))
                .collect()
        };
        // A4 landscape.
        assert_eq!(of_type("65638")[0].attribute("size"), Some("297,210,mm"));
        let map = of_type("65639")[0];
        assert_eq!(map.attribute("followPreset"), Some("true"));
        assert_eq!(map.attribute("followPresetName"), Some(theme));
        let uuid = map.attribute("uuid").unwrap();
        assert_eq!(of_type("65642")[0].attribute("map_uuid"), Some(uuid));
        assert_eq!(of_type("65646")[0].attribute("mapUuid"), Some(uuid));
        assert_eq!(of_type("65640")[0].attribute("mapUuid"), Some(uuid));
        // Title, result and sources, as the PNG maps word them.
        let labels: Vec<&str> = of_type("65641")
            .iter()
            .map(|n| n.attribute("labelText").unwrap())
            .collect();
        assert_eq!(labels[0], "TEDA sample district: 15-minute life circles");
        let headline = lifecircle::text::headline(s, Lang::En);
        assert_eq!(labels[1], format!("{theme}: {headline}"));
        assert!(
            labels[2].contains(&format!(
                "Distance: straight-line circle, radius {}",
                lifecircle::text::distance(s.radius_m)
            )),
            "{}",
            labels[2]
        );
        assert!(
            labels[2].contains("Projection: EPSG:32650"),
            "{}",
            labels[2]
        );
        // The legend lists the theme's layers, the gaps counted.
        let legend: Vec<&str> = children(
            first(of_type("65642")[0], "layer-tree-group"),
            "layer-tree-layer",
        )
        .iter()
        .map(|n| n.attribute("name").unwrap())
        .collect();
        let gaps = if s.gaps == 0 {
            "Gap: not within reach (none)".to_string()
        } else {
            format!("Gap: not within reach ({})", s.gaps)
        };
        assert_eq!(legend[0], "Facilities");
        assert_eq!(legend[1], gaps);
        assert!(legend
            .iter()
            .any(|l| l.starts_with("Share of each community's area within")));
    }
}

#[test]
fn the_view_and_the_layouts_frame_the_study_area() {
    let run = english();
    let text = qgs(run, EN_FILE);
    let doc = parse(&text);
    // The communities' bounds in the working CRS, projected independently of the project.
    let work = lifecircle::crs::WorkCrs::of(&run.analysis.work_crs).unwrap();
    let mut all = geo::MultiPolygon::new(
        run.analysis
            .communities
            .iter()
            .flat_map(|c| c.boundary.0.iter().cloned())
            .collect(),
    );
    work.project(&mut all).unwrap();
    let bounds = all.bounding_rect().unwrap();
    let rect = |n: roxmltree::Node<'_, '_>| -> [f64; 4] {
        ["xmin", "ymin", "xmax", "ymax"].map(|k| n.attribute(k).unwrap().parse().unwrap())
    };
    let view = rect(first(doc.root_element(), "DefaultViewExtent"));
    // The densified lon/lat box holds the communities, and is not much larger.
    assert!(view[0] <= bounds.min().x && view[1] <= bounds.min().y);
    assert!(view[2] >= bounds.max().x && view[3] >= bounds.max().y);
    assert!(
        (view[2] - view[0]) < 1.02 * bounds.width(),
        "{view:?} {bounds:?}"
    );
    for layout in doc.descendants().filter(|n| n.has_tag_name("Layout")) {
        let extent = rect(first(layout, "Extent"));
        let (w, h) = (extent[2] - extent[0], extent[3] - extent[1]);
        assert!((w / h - 195.0 / 160.0).abs() < 1e-9);
        assert!(extent[0] < view[0] && extent[2] > view[2]);
        assert!(extent[1] < view[1] && extent[3] > view[3]);
    }
}

#[test]
fn in_chinese_the_project_speaks_chinese() {
    let run = run_in(Lang::Zh, true);
    let file = "泰达示例区：15分钟生活圈.qgs";
    let text = qgs(&run, file);
    let doc = parse(&text);
    let names: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("layer-tree-layer"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    for expected in [
        "社区",
        "居民分布",
        "设施",
        "market 覆盖盲区",
        "market 服务范围（1,000 米）",
    ] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
    let layout = first(doc.root_element(), "Layout");
    let legend = layout
        .descendants()
        .find(|n| n.attribute("type") == Some("65642"))
        .unwrap();
    assert_eq!(legend.attribute("title"), Some("图例"));
    let title = layout
        .descendants()
        .find(|n| n.attribute("type") == Some("65641"))
        .unwrap();
    assert_eq!(
        title.attribute("labelText"),
        Some("泰达示例区：15分钟生活圈")
    );
    assert!(text.contains("Noto Sans CJK SC"));
    let scale = layout
        .descendants()
        .find(|n| n.attribute("type") == Some("65646"))
        .unwrap();
    assert!(matches!(scale.attribute("unitLabel"), Some("米" | "千米")));
}

#[test]
fn without_the_project_nothing_of_it_is_written() {
    let run = run_in(Lang::En, false);
    assert!(!run.out.join(EN_FILE).exists());
    assert!(stored_project(&run.out.join("results.gpkg")).is_none());
}

#[test]
fn the_same_analysis_gives_the_same_project() {
    let run = english();
    let other = run_in(Lang::En, true);
    assert_eq!(qgs(run, EN_FILE), qgs(&other, EN_FILE));
    assert_eq!(
        std::fs::read(run.out.join("results.gpkg")).unwrap(),
        std::fs::read(other.out.join("results.gpkg")).unwrap()
    );
}

/// `lifecircle ARGS` in `dir`, writing into `dir/out` without maps and report; the project
/// it wrote. Panics with its stderr when it fails.
fn project_of(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lifecircle"))
        .current_dir(dir)
        .args(args)
        .args(["--out", "out", "--no-maps", "--no-report", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lifecircle {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    only_qgs(&dir.join("out"))
}

/// `lifecircle COMMAND` on the sample's markets, 1,000 m, with `more` flags: its project.
fn markets_within_1000_m(dir: &Path, command: &str, more: &[&str]) -> String {
    let facilities = data("facilities.geojson");
    let mut args = vec![command, "--facilities", &facilities];
    args.extend(["--category", "market", "--radius", "1000"]);
    args.extend(more);
    project_of(dir, &args)
}

/// The attribute `key` of every `tag` under `node`.
fn every<'a>(node: roxmltree::Node<'a, '_>, tag: &str, key: &str) -> Vec<&'a str> {
    node.descendants()
        .filter(|n| n.has_tag_name(tag))
        .filter_map(|n| n.attribute(key))
        .collect()
}

fn data(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/teda")
        .join(file)
        .display()
        .to_string()
}

fn only_qgs(out: &Path) -> String {
    let found: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "qgs"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    std::fs::read_to_string(&found[0]).unwrap()
}

#[test]
fn categories_sharing_a_label_get_themes_and_groups_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plan.toml"),
        format!(
            "[communities]\npath = '{}'\n[facilities]\npath = '{}'\n\
             [[category]]\nname = \"market\"\nlabel = \"Shops\"\nradius_m = 500\n\
             [[category]]\nname = \"health\"\nlabel = \"Shops\"\nradius_m = 500\n",
            data("communities.geojson"),
            data("facilities.geojson")
        ),
    )
    .unwrap();
    let text = project_of(dir.path(), &["run", "plan.toml"]);
    let doc = parse(&text);
    let themes = every(doc.root_element(), "visibility-preset", "name");
    assert_eq!(themes, ["Shops (market)", "Shops (health)"]);
    let groups: Vec<&str> = children(
        children(doc.root_element(), "layer-tree-group")[0],
        "layer-tree-group",
    )
    .iter()
    .map(|n| n.attribute("name").unwrap())
    .collect();
    assert_eq!(groups, ["Shops · 500 m (market)", "Shops · 500 m (health)"]);
    // Each theme checks its own group only.
    for (preset, group) in doc
        .descendants()
        .filter(|n| n.has_tag_name("visibility-preset"))
        .zip(&groups)
    {
        assert_eq!(every(preset, "checked-group-node", "id"), [*group]);
    }
}

#[test]
fn a_run_on_demand_points_alone_frames_the_points() {
    let dir = tempfile::tempdir().unwrap();
    let demand = data("buildings.geojson");
    let text = markets_within_1000_m(dir.path(), "cover", &["--demand", &demand]);
    let doc = parse(&text);
    let ids: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("maplayer"))
        .map(|n| first(n, "id").text().unwrap())
        .collect();
    assert!(!ids.contains(&"lifecircle_communities"), "{ids:?}");
    assert!(ids.contains(&"lifecircle_demand"), "{ids:?}");
    // The view holds every demand point, and a layout is written.
    let view = first(doc.root_element(), "DefaultViewExtent");
    let width: f64 = view.attribute("xmax").unwrap().parse::<f64>().unwrap()
        - view.attribute("xmin").unwrap().parse::<f64>().unwrap();
    assert!(width > 500.0, "{width}");
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("Layout"))
            .count(),
        1
    );
    let legend: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("type") == Some("65642"))
        .flat_map(|n| {
            n.descendants()
                .filter(|d| d.has_tag_name("layer-tree-layer"))
        })
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert!(
        legend.contains(&"Residents within reach (1,000 m)"),
        "{legend:?}"
    );
}

#[test]
fn proposed_sites_join_their_category_in_the_tree_the_theme_and_the_legend() {
    let dir = tempfile::tempdir().unwrap();
    let (communities, demand) = (data("communities.geojson"), data("buildings.geojson"));
    let text = markets_within_1000_m(
        dir.path(),
        "site",
        &[
            "--communities",
            &communities,
            "--demand",
            &demand,
            "--target",
            "0.95",
            "--basis",
            "population",
            "--candidates",
            "gaps",
        ],
    );
    let doc = parse(&text);
    let group = children(
        children(doc.root_element(), "layer-tree-group")[0],
        "layer-tree-group",
    )[0];
    let titles: Vec<&str> = children(group, "layer-tree-layer")
        .iter()
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Proposed sites, market",
            "Gaps, market",
            "Service areas (1,000 m), market"
        ]
    );
    let theme: Vec<&str> = first(doc.root_element(), "visibility-preset")
        .descendants()
        .filter(|n| n.has_tag_name("layer"))
        .map(|n| n.attribute("id").unwrap())
        .collect();
    assert!(theme.contains(&"lifecircle_sites_market"), "{theme:?}");
    // Drawn on top of everything.
    let order = first(doc.root_element(), "custom-order");
    assert_eq!(
        order.children().find(|n| n.is_element()).unwrap().text(),
        Some("lifecircle_sites_market")
    );
    assert!(text.contains("name=\"Proposed sites\""));
}
