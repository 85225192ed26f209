//! The report and the maps speak one language: in Chinese no English words outside data
//! values, ids, file paths, units and a short list of names (EPSG, GB, ...); in English no
//! Chinese outside data values and the configuration's quotations (labels' originals in
//! brackets, sources). Texts given per language in the configuration follow `--lang`, and a
//! text missing in one language falls back to the other with one warning.

// Test harness: failing loudly is the job of the helpers below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use lifecircle::config::{Lang, LocalText};
use lifecircle::{Config, Job};
use serde_json::Value;

use common::unescape;

/// The visible text of the sample's report (HTML) and of its maps (SVG), in `lang`.
struct Sample {
    _dir: tempfile::TempDir,
    report: String,
    maps: Vec<(PathBuf, String)>,
    summary: Value,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn config(lang: Lang) -> Config {
    let mut config = Config::from_file(&root().join("examples/tianjin-plan.toml")).unwrap();
    config.output.lang = Some(lang);
    config
}

fn sample(lang: Lang) -> Sample {
    let dir = tempfile::tempdir().unwrap();
    let mut job = Job::from_config(&config(lang), &root().join("examples")).unwrap();
    job.out_dir = dir.path().join("out");
    job.products.geopackage = false;
    job.products.layers = false;
    lifecircle::run(&job).unwrap();
    let html = std::fs::read_to_string(job.out_dir.join("report.html")).unwrap();
    let mut maps = Vec::new();
    for entry in std::fs::read_dir(job.out_dir.join("maps")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let svg = std::fs::read_to_string(&path).unwrap();
            maps.push((path, svg_text(&svg)));
        }
    }
    assert!(!maps.is_empty());
    let summary = std::fs::read_to_string(job.out_dir.join("summary.json")).unwrap();
    Sample {
        report: html_text(&html),
        maps,
        summary: serde_json::from_str(&summary).unwrap(),
        _dir: dir,
    }
}

/// The text a reader sees in an HTML page: no styles, scripts, embedded maps or tags.
fn html_text(html: &str) -> String {
    let mut s = html.to_string();
    for (open, close) in [
        ("<style", "</style>"),
        ("<script", "</script>"),
        ("<svg", "</svg>"),
    ] {
        while let Some(a) = s.find(open) {
            let b = s[a..].find(close).map(|b| a + b + close.len()).unwrap();
            s.replace_range(a..b, " ");
        }
    }
    unescape(&strip_tags(&s))
}

/// The text of an SVG's `<text>` elements.
fn svg_text(svg: &str) -> String {
    let mut out = String::new();
    let mut rest = svg;
    while let Some(a) = rest.find("<text") {
        let b = rest[a..].find("</text>").map(|b| a + b).unwrap();
        out.push_str(&strip_tags(&rest[a..b]));
        out.push('\n');
        rest = &rest[b..];
    }
    unescape(&out)
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut inside = false;
    for c in s.chars() {
        match c {
            '<' => inside = true,
            '>' => {
                inside = false;
                out.push(' ');
            }
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// Words of Latin letters, each with the run of non-space characters it stands in (so a
/// file path or an id can be told from a word).
fn latin_words(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for chunk in
        text.split(|c: char| c.is_whitespace() || is_cjk(c) || "，。；：（）、“”《》·|".contains(c))
    {
        let mut word = String::new();
        for c in chunk.chars().chain([' ']) {
            if c.is_ascii_alphabetic() {
                word.push(c);
            } else if !word.is_empty() {
                out.push((std::mem::take(&mut word), chunk.to_string()));
            }
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// Names a Chinese text may hold: references, standards, coordinate systems, units, the
/// tool, and the north arrow's N.
const NAMES: &[&str] = &[
    "EPSG",
    "RFC",
    "UTM",
    "GCJ",
    "BD",
    "WGS",
    "GB",
    "T",
    "TEDA",
    "OSM",
    "OpenStreetMap",
    "GeoJSON",
    "lifecircle",
    "N",
    "m",
    "km",
    "h",
    "x",
];

/// The ids a report shows as they are: category, level and indicator names, field names.
fn ids(config: &Config) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    ids.extend(config.categories.iter().map(|c| c.name.clone()));
    ids.extend(
        config
            .levels
            .iter()
            .flat_map(|l| l.categories.iter().cloned().chain([l.name.clone()])),
    );
    ids.extend(config.indicators.iter().map(|i| i.name.clone()));
    // Field names the indicators and layers use.
    for word in [
        "population",
        "households",
        "workers",
        "social_orgs",
        "floor_area_m2",
        "urban",
        "street",
    ] {
        ids.insert(word.into());
    }
    ids
}

/// English words in a Chinese text: Latin words that are not a listed name, not an id, and
/// not part of a file path, a summary key (`inputs.demand`) or a code like `TEDA-10`.
fn english_words(text: &str, ids: &BTreeSet<String>) -> BTreeSet<String> {
    latin_words(text)
        .into_iter()
        .filter(|(word, chunk)| {
            let in_id = ids.iter().any(|id| chunk.contains(id.as_str()));
            let path_or_key = chunk.contains('/') || chunk.contains('.') && !chunk.ends_with('.');
            // TEDA-10, A4, EPSG:32650: codes, not words.
            let coded = chunk.chars().any(|c| c.is_ascii_digit());
            !(NAMES.contains(&word.as_str()) || in_id || path_or_key || coded)
        })
        .map(|(word, _)| word)
        .collect()
}

#[test]
fn the_chinese_report_and_maps_hold_no_english_words() {
    let s = sample(Lang::Zh);
    let ids = ids(&config(Lang::Zh));
    let found = english_words(&s.report, &ids);
    assert!(
        found.is_empty(),
        "English words in the zh report: {found:?}"
    );
    for (path, text) in &s.maps {
        let found = english_words(text, &ids);
        assert!(
            found.is_empty(),
            "English words in {}: {found:?}",
            path.display()
        );
    }
    // The configuration's Chinese texts are what is shown.
    assert!(s.report.contains("泰达示例区：15分钟生活圈"));
    assert!(s.report.contains("按街道分组"));
    assert!(s.report.contains("15分钟生活服务圈：菜市场"));
    assert!(s
        .report
        .contains("service_centre 类设施的 floor_area_m2 之和 / households × 100"));
    assert!(s.report.contains("urban >= 1 且 households >= 500"));
    let market = s
        .maps
        .iter()
        .find(|(p, _)| p.ends_with("market.svg"))
        .unwrap();
    assert!(
        market.1.contains("15分钟生活服务圈：菜市场"),
        "{}",
        market.1
    );
    assert!(
        market.1.contains("步行 15 分钟，4 千米/小时"),
        "{}",
        market.1
    );
    // summary.json keeps the texts of the run's language, and names the group label.
    assert_eq!(s.summary["group_label"], "街道");
    assert_eq!(
        s.summary["categories"][0]["label"],
        "15分钟生活服务圈：菜市场"
    );
}

/// The Chinese an English text may hold: data values (names, groups) and the
/// configuration's own texts, which quote the plans.
fn chinese_outside(text: &str, allowed: &[String]) -> Vec<String> {
    let mut rest = text.to_string();
    let mut allowed: Vec<&String> = allowed.iter().collect();
    allowed.sort_by_key(|a| std::cmp::Reverse(a.len()));
    for a in allowed {
        rest = rest.replace(a.as_str(), " ");
    }
    let mut runs = Vec::new();
    let mut run = String::new();
    for c in rest.chars().chain([' ']) {
        if is_cjk(c) {
            run.push(c);
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    runs
}

#[test]
fn the_english_report_and_maps_hold_chinese_only_in_names_and_quotations() {
    let s = sample(Lang::En);
    let config = config(Lang::En);
    let mut allowed: Vec<String> = Vec::new();
    let communities: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("data/teda/communities.geojson")).unwrap(),
    )
    .unwrap();
    for f in communities["features"].as_array().unwrap() {
        for key in ["name", "street"] {
            allowed.push(f["properties"][key].as_str().unwrap().to_string());
        }
    }
    let text = |t: &Option<LocalText>| {
        t.as_ref()
            .and_then(|t| t.get(Lang::En))
            .map(|(s, _)| s.to_string())
    };
    for c in &config.categories {
        allowed.extend([text(&c.label), text(&c.source)].into_iter().flatten());
    }
    for l in &config.levels {
        allowed.extend([text(&l.label), text(&l.source)].into_iter().flatten());
    }
    for i in &config.indicators {
        allowed.extend([text(&i.label), text(&i.source)].into_iter().flatten());
    }
    let found = chinese_outside(&s.report, &allowed);
    assert!(found.is_empty(), "Chinese in the en report: {found:?}");
    for (path, text) in &s.maps {
        let found = chinese_outside(text, &allowed);
        assert!(found.is_empty(), "Chinese in {}: {found:?}", path.display());
    }
    assert!(s.report.contains("By street"));
    assert!(s
        .report
        .contains("TEDA sample district: 15-minute life circles"));
}

#[test]
fn a_text_missing_in_one_language_falls_back_with_one_warning() {
    let mut config = config(Lang::Zh);
    config.output.title = Some(LocalText::PerLang {
        en: Some("Only in English".into()),
        zh: None,
    });
    config.categories[1].label = Some(LocalText::PerLang {
        en: Some("Fitness".into()),
        zh: None,
    });
    let job = Job::from_config(&config, &root().join("examples")).unwrap();
    assert_eq!(job.products.title, "Only in English");
    assert_eq!(job.categories[1].label.as_deref(), Some("Fitness"));
    assert_eq!(
        job.categories[0].label.as_deref(),
        Some("15分钟生活服务圈：菜市场")
    );
    assert_eq!(
        job.not_in_lang,
        vec![
            "category \"fitness\" label".to_string(),
            "[output] title".to_string()
        ]
    );
    let mut job = job;
    let dir = tempfile::tempdir().unwrap();
    job.out_dir = dir.path().join("out");
    let analysis = lifecircle::analyse(&job).unwrap();
    let warnings: Vec<String> = analysis
        .warnings
        .iter()
        .map(|w| lifecircle::text::warning(w, Lang::Zh))
        .filter(|w| w.contains("没有中文版本"))
        .collect();
    assert_eq!(
        warnings,
        vec![
            "以下文字没有中文版本，按英文显示：category \"fitness\" label, [output] title"
                .to_string()
        ]
    );
}

#[test]
fn a_group_label_without_a_group_is_refused() {
    let mut config = config(Lang::En);
    let communities = config.communities.as_mut().unwrap();
    communities.group = None;
    let e = Job::from_config(&config, &root().join("examples"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("group_label") && e.contains("no group field is given"),
        "{e}"
    );
}

#[test]
fn the_default_title_follows_the_language() {
    let mut config = config(Lang::Zh);
    config.output.title = None;
    let job = Job::from_config(&config, &root().join("examples")).unwrap();
    assert_eq!(job.products.title, "15分钟生活圈");
}
