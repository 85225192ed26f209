//! The planning report (`report.html`, `report.md`): its tables hold the summary's numbers
//! and the hand-worked ones, verdicts are right, Chinese text appears with `lang = zh`, user
//! strings are escaped, and the HTML loads nothing but itself: checked by reading it and by
//! opening it in headless Chromium.

// Test harness: failing loudly is the job of the helpers below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{collection, square, unescape, Case};
use lifecircle::config::Lang;
use lifecircle::{Config, Job};
use serde_json::{json, Value};

/// A report's files, read back after a real run.
struct Written {
    _dir: tempfile::TempDir,
    out: PathBuf,
    html: String,
    md: String,
    summary: Value,
}

impl Written {
    fn geojson(&self, name: &str) -> Vec<Value> {
        let text = std::fs::read_to_string(self.out.join(name)).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        doc["features"].as_array().unwrap().clone()
    }
}

/// Runs a job into a fresh folder, without the GeoPackage, and reads the report back.
fn run(mut job: Job, lang: Lang) -> Written {
    let dir = tempfile::tempdir().unwrap();
    job.out_dir = dir.path().join("out");
    job.products.lang = lang;
    job.products.geopackage = false;
    lifecircle::run(&job).unwrap();
    let read = |name: &str| std::fs::read_to_string(job.out_dir.join(name)).unwrap();
    Written {
        html: read("report.html"),
        md: read("report.md"),
        summary: serde_json::from_str(&read("summary.json")).unwrap(),
        out: job.out_dir.clone(),
        _dir: dir,
    }
}

fn sample(lang: Lang) -> Written {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = Config::from_file(&root.join("examples/tianjin-plan.toml")).unwrap();
    // Texts for readers are resolved in the language when the job is checked.
    config.output.lang = Some(lang);
    run(
        Job::from_config(&config, &root.join("examples")).unwrap(),
        lang,
    )
}

/// Two 1,000 m squares side by side (UTM 50N): A = (0,0)-(1000,1000), 1,000 residents,
/// named `<b>&`; B = (1000,0)-(2000,1000), 3,000 residents, named `Beta|Gamma`.
///
/// A market at A's centre reaching 800 m covers A wholly (its corners are 707 m away) and
/// of B the part of the circle beyond x = 1,000 m, 500 m from the centre, between y = 0 and
/// 1,000 m: ∫ (√(800² - y²) - 500) dy over |y| <= 500 = 500 √390,000 + 800² asin(5/8) -
/// 500,000 = 244,334 m². Residents within reach (1,000 + 3,000 x 0.244334) / 4,000 =
/// 43.33%, short of the 45% target; area (1,000,000 + 244,334) / 2,000,000 = 62.22%; 1 of
/// 2 communities served.
///
/// A health station at B's centre reaching 1,000 m covers B wholly and of A the part beyond
/// x = 500 m: ∫ (√(1000² - y²) - 500) dy over |y| <= 500 = 500 √750,000 + 1000² asin(1/2)
/// minus 500,000 = 456,611 m², under half of A: 1 of 2 served = 50%, short of 90% on the
/// communities basis; residents (1,000 x 0.456611 + 3,000) / 4,000 = 86.42%; area 72.83%.
fn hand_made() -> (Case, Job) {
    let case = Case::new();
    let c = |id: &str, name: &str, x: f64, population: f64| {
        json!({"type": "Feature",
               "properties": {"id": id, "name": name, "population": population},
               "geometry": {"type": "Polygon", "coordinates": [square(x, 0.0, 1000.0, 1000.0)]}})
    };
    let f = |id: &str, category: &str, x: f64| {
        json!({"type": "Feature", "properties": {"id": id, "category": category},
               "geometry": {"type": "Point",
                            "coordinates": [common::X0 + x, common::Y0 + 500.0]}})
    };
    let communities = case.write(
        "c.geojson",
        &collection(vec![
            c("A", "<b>&", 0.0, 1000.0),
            c("B", "Beta|Gamma", 1000.0, 3000.0),
        ]),
    );
    let facilities = case.write(
        "f.geojson",
        &collection(vec![f("m", "market", 500.0), f("h", "health", 1500.0)]),
    );
    let toml = format!(
        "[communities]\npath = '{}'\ncrs = 'EPSG:32650'\n\
         [facilities]\npath = '{}'\ncrs = 'EPSG:32650'\n\
         [curve]\nenabled = false\n\
         [[category]]\nname = 'market'\nradius_m = 800\ntarget = 0.45\n\
         [[category]]\nname = 'health'\nradius_m = 1000\ntarget = 0.9\nbasis = 'communities'\n\
         [output]\ntitle = 'Sample <district> & \"plan\"'\n",
        communities.display(),
        facilities.display()
    );
    let config = Config::from_toml(&toml, Path::new("t.toml")).unwrap();
    let job = Job::from_config(&config, case.dir.path()).unwrap();
    (case, job)
}

// ---------------------------------------------------------------------------------------
// Reading tables back
// ---------------------------------------------------------------------------------------

/// A table cell: its main text and its smaller second line, unescaped.
#[derive(Debug, Clone, PartialEq)]
struct Cell {
    text: String,
    sub: Option<String>,
    class: String,
}

/// The rows of the HTML table with this id, by `data-key`, in order.
fn rows(html: &str, id: &str) -> Vec<(String, Vec<Cell>)> {
    let open = format!("<table id=\"{id}\"");
    let start = html.find(&open).unwrap_or_else(|| panic!("no table {id}"));
    let body = &html[start..start + html[start..].find("</table>").unwrap()];
    body.split("<tr data-key=\"")
        .skip(1)
        .map(|row| {
            let key = unescape(&row[..row.find('"').unwrap()]);
            let cells = row
                .split("<td")
                .skip(1)
                .map(|td| {
                    let class = td
                        .strip_prefix(" class=\"")
                        .map(|c| c[..c.find('"').unwrap()].to_string())
                        .unwrap_or_default();
                    let inner = &td[td.find('>').unwrap() + 1..td.find("</td>").unwrap()];
                    let (text, sub) = match inner.split_once("<span class=\"sub\">") {
                        Some((t, s)) => (t, Some(unescape(s.trim_end_matches("</span>")))),
                        None => (inner, None),
                    };
                    Cell {
                        text: unescape(text),
                        sub,
                        class,
                    }
                })
                .collect();
            (key, cells)
        })
        .collect()
}

fn table(html: &str, id: &str) -> BTreeMap<String, Vec<Cell>> {
    rows(html, id).into_iter().collect()
}

/// The number before the first `%` of a text, with its decimals: "85.2% of residents".
fn percent(text: &str) -> (f64, usize) {
    let end = text.find('%').unwrap_or_else(|| panic!("no % in {text:?}"));
    let start = text[..end]
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|i| i + 1)
        .unwrap_or(0);
    let number = &text[start..end];
    let decimals = number.split_once('.').map(|(_, d)| d.len()).unwrap_or(0);
    (number.parse().unwrap(), decimals)
}

/// A shown percentage is the fraction rounded to the decimals shown.
fn assert_pct(text: &str, fraction: f64) {
    let (shown, decimals) = percent(text);
    let half = 0.5 * 10f64.powi(-(decimals as i32));
    assert!(
        (shown - fraction * 100.0).abs() <= half + 1e-9,
        "{text:?} shows {shown}, the summary says {}",
        fraction * 100.0
    );
}

/// As [`assert_pct`], for a fraction recomputed from rounded columns: `slack` more.
fn assert_pct_near(text: &str, fraction: f64, slack: f64) {
    let (shown, decimals) = percent(text);
    let half = 0.5 * 10f64.powi(-(decimals as i32));
    assert!(
        (shown - fraction * 100.0).abs() <= half + slack,
        "{text:?} shows {shown}, recomputed {}",
        fraction * 100.0
    );
}

/// A whole number with thousands separators, as shown: "12,346 m²" -> 12346.
fn number(text: &str) -> f64 {
    let digits: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.' || *c == '-')
        .filter(|c| *c != ',')
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number in {text:?}"))
}

fn verdict(meets: &Value, lang: Lang) -> (&'static str, &'static str) {
    match (meets.as_bool(), lang) {
        (Some(true), Lang::En) => ("✓ Met", "verdict met"),
        (Some(false), Lang::En) => ("✗ Not met", "verdict not-met"),
        (None, Lang::En) => ("No target", "verdict no-target"),
        (Some(true), Lang::Zh) => ("✓ 达标", "verdict met"),
        (Some(false), Lang::Zh) => ("✗ 未达标", "verdict not-met"),
        (None, Lang::Zh) => ("无目标", "verdict no-target"),
    }
}

fn assert_verdict(cell: &Cell, meets: &Value, lang: Lang) {
    let (text, class) = verdict(meets, lang);
    assert_eq!((cell.text.as_str(), cell.class.as_str()), (text, class));
}

fn assert_target(cell: &Cell, target: &Value) {
    match target.as_f64() {
        Some(t) => assert_pct(&cell.text, t),
        None => assert_eq!(cell.text, "–"),
    }
}

/// Every category row (and group row) shows the summary's target, coverage, figures on the
/// other bases, and verdict.
fn check_summary_tables(w: &Written, lang: Lang) {
    let basis_noun = |b: &str| match (b, lang) {
        ("population", Lang::En) => "of residents",
        ("area", Lang::En) => "of the area",
        ("communities", Lang::En) => "of communities",
        ("population", Lang::Zh) => "居民",
        ("area", Lang::Zh) => "面积",
        (_, Lang::Zh) => "社区",
        _ => unreachable!(),
    };
    let check = |cells: &[Cell], s: &Value, target: usize, result: usize, verdict: usize| {
        assert_target(&cells[target], &s["target"]);
        assert_pct(&cells[result].text, s["coverage"].as_f64().unwrap());
        assert!(
            cells[result]
                .text
                .contains(basis_noun(s["basis"].as_str().unwrap())),
            "{:?} does not say its basis {}",
            cells[result].text,
            s["basis"]
        );
        assert_verdict(&cells[verdict], &s["meets_target"], lang);
    };
    let summary = table(&w.html, "summary");
    let categories = w.summary["categories"].as_array().unwrap();
    assert_eq!(summary.len(), categories.len());
    for s in categories {
        let cells = &summary[s["name"].as_str().unwrap()];
        check(cells, s, 4, 5, 6);
        // The second line gives the figures on every basis known.
        let sub = cells[5].sub.as_deref().unwrap();
        let parts: Vec<&str> = sub.split(" · ").collect();
        let mut i = 0;
        for key in ["population_coverage", "area_coverage"] {
            if let Some(v) = s[key].as_f64() {
                assert_pct(parts[i], v);
                i += 1;
            }
        }
        if s["communities"].as_u64().unwrap() > 0 {
            assert!(
                parts[i].ends_with(&format!(
                    " {}/{}",
                    s["communities_served"], s["communities"]
                )),
                "{sub}"
            );
        }
        // The reach in metres.
        assert_eq!(
            number(&cells[1].text),
            s["radius_m"].as_f64().unwrap().round()
        );
    }
    if let Some(groups) = w.summary["groups"].as_array().filter(|g| !g.is_empty()) {
        let by_group = table(&w.html, "groups");
        let mut n = 0;
        for g in groups {
            for s in g["categories"].as_array().unwrap() {
                let key = format!(
                    "{}/{}",
                    g["group"].as_str().unwrap(),
                    s["name"].as_str().unwrap()
                );
                let cells = &by_group[&key];
                check(cells, s, 3, 4, 5);
                assert_eq!(
                    cells[6].text,
                    format!("{}/{}", s["communities_served"], s["communities"])
                );
                n += 1;
            }
        }
        assert_eq!(by_group.len(), n);
    }
}

// ---------------------------------------------------------------------------------------
// Self-containment and Chromium
// ---------------------------------------------------------------------------------------

/// Every `src=`/`href=` of the page is a `data:` URI; nothing is imported or scripted.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    let lower = html.to_ascii_lowercase();
    for attr in ["src=", "href=", "srcset=", "xlink:href=", "action="] {
        for (at, _) in lower.match_indices(attr) {
            let value = lower[at + attr.len()..].trim_start_matches(['"', '\'']);
            assert!(
                value.starts_with("data:"),
                "{attr} at byte {at} is not a data: URI: {}",
                &html[at..(at + 80).min(html.len())]
            );
        }
    }
    for forbidden in [
        "<script", "<link", "@import", "<iframe", "<object", "<embed",
    ] {
        assert!(!lower.contains(forbidden), "the report has {forbidden}");
    }
    for (at, _) in lower.match_indices("url(") {
        let value = lower[at + 4..].trim_start_matches(['"', '\'']);
        assert!(value.starts_with("data:"), "url( at byte {at}");
    }
}

fn chromium() -> PathBuf {
    let found = Command::new("chromium")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "chromium is not installed: run `make test-deps` (it installs Debian's chromium, \
         which this test opens the report in)"
    );
    PathBuf::from("chromium")
}

/// What headless Chromium made of a page.
struct Browsed {
    /// Console messages and load failures; Chromium's own noise (D-Bus, GPU) left out.
    errors: Vec<String>,
    screenshot: Vec<u8>,
}

/// Runs headless Chromium on `page` with `output` (`--screenshot=...`, `--print-to-pdf=...`)
/// at A4 size (1240 x 1754 px, 150 dpi); returns what it logged.
fn chromium_on(page: &Path, output: String) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1240,1754",
            "--no-pdf-header-footer",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(output)
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A hang guard, not a timing check: Chromium takes a few seconds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish on {}", page.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let log = reader.join().unwrap();
    assert!(status.success(), "chromium failed: {log}");
    log
}

/// Opens `page` in headless Chromium and screenshots it to `shot`.
fn browse(page: &Path, shot: &Path) -> Browsed {
    let log = chromium_on(page, format!("--screenshot={}", shot.display()));
    // Console messages (CONSOLE), script errors, failed loads and refused loads are what
    // the page did; D-Bus, GPU and sandbox lines are the headless browser's own noise.
    let errors = log
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Uncaught")
                || l.contains("Failed to load")
                || l.contains("net::ERR_")
                || l.contains("Content Security Policy")
        })
        .map(str::to_string)
        .collect();
    Browsed {
        errors,
        screenshot: std::fs::read(shot).unwrap_or_default(),
    }
}

/// Prints `page` to PDF as Chromium does on A4 and counts the pages.
fn printed_pages(page: &Path, pdf: &Path) -> usize {
    chromium_on(page, format!("--print-to-pdf={}", pdf.display()));
    let bytes = std::fs::read(pdf).unwrap();
    let key = b"/Type /Page";
    bytes
        .windows(key.len() + 1)
        .filter(|w| &w[..key.len()] == key && w[key.len()] != b's')
        .count()
}

/// The screenshot is a PNG of the window's size holding a page, not a blank one: text,
/// and the verdict colours the style sheet gives.
fn assert_rendered(png: &[u8], shot: &Path) {
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(png)
        .unwrap_or_else(|e| panic!("{} is not a PNG: {e}", shot.display()));
    assert_eq!((pixmap.width(), pixmap.height()), (1240, 1754));
    let pixels = pixmap.pixels();
    let dark = pixels
        .iter()
        .filter(|p| u16::from(p.red()) + u16::from(p.green()) + u16::from(p.blue()) < 300)
        .count();
    assert!(
        dark > pixels.len() / 200,
        "{}: only {dark} dark pixels: a blank page?",
        shot.display()
    );
    // The "not met" cell background (#fbe9ea) of the summary table, on the first page.
    let not_met = pixels
        .iter()
        .filter(|p| (p.red(), p.green(), p.blue()) == (0xfb, 0xe9, 0xea))
        .count();
    assert!(
        not_met > 100,
        "{}: no \"not met\" background: the style sheet was not applied?",
        shot.display()
    );
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn hand_made_district_shows_the_hand_worked_figures() {
    let (_case, job) = hand_made();
    let w = run(job, Lang::En);
    check_summary_tables(&w, Lang::En);
    let summary = table(&w.html, "summary");
    let market = &summary["market"];
    assert_eq!(market[1].text, "800 m");
    assert_eq!(market[2].text, "residents");
    assert_eq!(market[4].text, "45%");
    assert_eq!(market[5].text, "43.3% of residents");
    assert_eq!(
        market[5].sub.as_deref(),
        Some("residents 43.3% · area 62.2% · served 1/2")
    );
    assert_eq!(market[6].text, "✗ Not met");
    let health = &summary["health"];
    assert_eq!(health[2].text, "communities served");
    assert_eq!(health[5].text, "50.0% of communities");
    assert_eq!(
        health[5].sub.as_deref(),
        Some("residents 86.4% · area 72.8% · served 1/2")
    );
    assert_eq!(health[6].text, "✗ Not met");

    // Gaps: B's part beyond the market's segment, A's part beyond x = 500 m.
    let gaps = rows(&w.html, "gaps-market");
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].1[1].text, "Beta|Gamma");
    assert_eq!(gaps[0].1[1].sub.as_deref(), Some("B"));
    assert!(
        (number(&gaps[0].1[2].text) - 755_666.0).abs() < 50.0,
        "{:?}",
        gaps[0]
    );
    assert!(
        (number(&gaps[0].1[3].text) - 2_267.0).abs() <= 1.0,
        "{:?}",
        gaps[0]
    );
    let gaps = rows(&w.html, "gaps-health");
    assert_eq!(gaps[0].1[1].text, "<b>&");
    assert!(
        (number(&gaps[0].1[2].text) - 543_389.0).abs() < 50.0,
        "{:?}",
        gaps[0]
    );
    assert!(
        (number(&gaps[0].1[3].text) - 543.0).abs() <= 1.0,
        "{:?}",
        gaps[0]
    );
    assert!(w
        .html
        .contains("Every gap is listed (1), largest area first"));
    assert!(w.html.contains("gaps_market.geojson"));

    // Least served: B's lowest share is the market's 24.4%, A's the health station's 45.7%
    // (on the area: health is judged on communities served).
    let least = rows(&w.html, "least-served");
    let keys: Vec<&str> = least.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, vec!["B", "A"]);
    assert_eq!(least[0].1[5].text, "24.4%");
    assert_eq!(least[1].1[5].text, "45.7%");
    assert_eq!(
        least[1].1[3].text, "100.0%",
        "A's market share of residents"
    );

    // The same rows in the Markdown, pipes escaped.
    assert!(
        w.md.contains(
            "| 43.3% of residents (residents 43.3% · area 62.2% · served 1/2) | **✗ Not met** |"
        ),
        "{}",
        w.md
    );
    assert!(w.md.contains("| 1 | Beta\\|Gamma (B) |"), "{}", w.md);
    assert!(w.md.contains("| 1 | \\<b>& (A) |"), "{}", w.md);
    let summary_rows =
        w.md.lines()
            .skip_while(|l| !l.starts_with("| Category |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .count();
    assert_eq!(summary_rows, 2);
}

#[test]
fn user_strings_are_escaped() {
    let (_case, job) = hand_made();
    let w = run(job, Lang::En);
    assert!(!w.html.contains("<b>&"), "a community name went in raw");
    assert!(w.html.contains("&lt;b&gt;&amp;"));
    assert!(!w.html.contains("<district>"));
    assert!(w
        .html
        .contains("<title>Sample &lt;district&gt; &amp; &quot;plan&quot;</title>"));
    assert!(w
        .html
        .contains("<h1>Sample &lt;district&gt; &amp; &quot;plan&quot;</h1>"));
    assert!(w.md.starts_with("# Sample \\<district> & \"plan\"\n"));
    assert!(
        !w.md.replace("\\<", "").contains('<'),
        "an unescaped < in the Markdown"
    );
    assert_self_contained(&w.html);
}

#[test]
fn sample_report_holds_the_summary_numbers() {
    let w = sample(Lang::En);
    check_summary_tables(&w, Lang::En);
    assert_self_contained(&w.html);
    assert!(w.html.contains("<html lang=\"en\">"));

    // Life circles and indicators.
    let levels = table(&w.html, "levels");
    for l in w.summary["levels"].as_array().unwrap() {
        let cells = &levels[l["name"].as_str().unwrap()];
        assert_target(&cells[3], &l["target"]);
        assert_pct(&cells[4].text, l["complete_share"].as_f64().unwrap());
        assert_verdict(&cells[5], &l["meets_target"], Lang::En);
        assert_eq!(
            cells[6].text,
            format!(
                "{}/{} {}",
                l["places_complete"],
                l["places"],
                l["places_are"].as_str().unwrap()
            )
        );
    }
    let indicators = table(&w.html, "indicators");
    for i in w.summary["indicators"].as_array().unwrap() {
        let cells = &indicators[i["name"].as_str().unwrap()];
        assert_eq!(
            cells[3].text,
            format!("{}/{}", i["judged"], i["communities"])
        );
        assert_pct(&cells[4].text, i["share_meeting"].as_f64().unwrap());
        assert_eq!(
            cells[4].sub.as_deref(),
            Some(&*format!("{} of {} judged", i["meeting"], i["judged"]))
        );
        assert_pct(&cells[5].text, i["target_share"].as_f64().unwrap());
        assert_verdict(&cells[6], &i["meets_target"], Lang::En);
    }

    // The market misses its 95% and fitness reaches its 100%, as the README says.
    let summary = table(&w.html, "summary");
    assert_eq!(summary["market"][6].text, "✗ Not met");
    assert_eq!(summary["fitness"][6].text, "✓ Met");
    assert_eq!(summary["elderly_care"][6].text, "No target");

    // Least served: recomputed from communities.geojson, each share on its category's
    // basis (residents from the demand layer for the market, area for the others), and the
    // lowest among the categories with a target.
    let communities = w.geojson("communities.geojson");
    let categories = w.summary["categories"].as_array().unwrap();
    let share = |p: &Value, s: &Value| -> Option<f64> {
        let name = s["name"].as_str().unwrap();
        if s["basis"] == "population" {
            let people = p["demand_population"].as_f64()?;
            (people > 0.0)
                .then(|| p[format!("{name}_population_covered")].as_f64().unwrap() / people)
        } else {
            p[format!("{name}_share")].as_f64()
        }
    };
    let with_target: Vec<&Value> = categories
        .iter()
        .filter(|s| !s["target"].is_null())
        .collect();
    let mut lowest: BTreeMap<String, f64> = BTreeMap::new();
    for c in &communities {
        let p = &c["properties"];
        if let Some(low) = with_target
            .iter()
            .filter_map(|s| share(p, s))
            .min_by(f64::total_cmp)
        {
            lowest.insert(p["id"].as_str().unwrap().to_string(), low);
        }
    }
    // Only communities short of full reach are listed, at most twenty.
    let least = rows(&w.html, "least-served");
    let short = lowest.values().filter(|&&l| l < 1.0 - 1e-6).count();
    assert_eq!(least.len(), 20.min(short));
    assert!(
        short < lowest.len(),
        "the sample has communities fully within reach"
    );
    let last = least.len() - 1;
    let lowest_col = least[0].1.len() - 1;
    let mut previous = -1.0;
    for (rank, (id, cells)) in least.iter().enumerate() {
        assert_eq!(cells[0].text, (rank + 1).to_string());
        let low = lowest[id];
        assert_pct_near(&cells[lowest_col].text, low, 0.02);
        assert!(low >= previous - 1e-4, "{id} is out of order");
        previous = low;
        // Every category's share, in the summary's order, after rank, community, street
        // and residents.
        let p = &communities
            .iter()
            .find(|c| c["properties"]["id"] == id.as_str())
            .unwrap()["properties"];
        for (k, s) in categories.iter().enumerate() {
            match share(p, s) {
                Some(v) => assert_pct_near(&cells[4 + k].text, v, 0.02),
                None => assert_eq!(cells[4 + k].text, "–"),
            }
        }
    }
    let listed: Vec<&str> = least.iter().map(|(id, _)| id.as_str()).collect();
    let cut = lowest[least[last].0.as_str()];
    for (id, low) in &lowest {
        if !listed.contains(&id.as_str()) {
            assert!(*low >= cut - 1e-4, "{id} ({low}) should be listed");
        }
    }

    // Gaps: the first ten of gaps_<category>.geojson, and the count of them all.
    for s in categories {
        let name = s["name"].as_str().unwrap();
        let features = w.geojson(&format!("gaps_{name}.geojson"));
        assert_eq!(features.len() as u64, s["gaps"].as_u64().unwrap());
        if features.is_empty() {
            continue;
        }
        let listed = rows(&w.html, &format!("gaps-{name}"));
        assert_eq!(listed.len(), features.len().min(10));
        for (cells, f) in listed.iter().map(|(_, c)| c).zip(&features) {
            let p = &f["properties"];
            assert_eq!(cells[0].text, p["rank"].to_string());
            let community = cells[1].sub.as_deref().unwrap_or(&cells[1].text);
            assert_eq!(community, p["community_id"].as_str().unwrap());
            assert!((number(&cells[3].text) - p["area_m2"].as_f64().unwrap()).abs() <= 0.5);
            assert!((number(&cells[4].text) - p["population"].as_f64().unwrap()).abs() <= 0.55);
        }
        let note = if features.len() > 10 {
            format!("The 10 largest of {} gaps", features.len())
        } else {
            format!("Every gap is listed ({})", features.len())
        };
        assert!(w.html.contains(&note), "{name}: {note}");
    }

    // Markdown: one table row per category, and every map linked.
    for s in categories {
        let name = s["name"].as_str().unwrap();
        assert!(w.md.contains(&format!("](maps/{name}.png)")), "{name}");
    }
}

#[test]
fn chinese_report_is_in_chinese() {
    let w = sample(Lang::Zh);
    assert!(w.html.contains("<html lang=\"zh-CN\">"));
    check_summary_tables(&w, Lang::Zh);
    for words in [
        "生活圈覆盖评估报告",
        "对照目标的结果",
        "服务最薄弱的社区",
        "最大的覆盖缺口",
        "假设",
    ] {
        assert!(w.html.contains(words), "{words}");
        assert!(w.md.contains(words), "{words}");
    }
    let summary = table(&w.html, "summary");
    assert_eq!(summary["market"][6].text, "✗ 未达标");
    assert_eq!(summary["market"][1].text, "1,000 米");
    assert_eq!(
        summary["market"][1].sub.as_deref(),
        Some("步行 15 分钟（4 千米/小时）")
    );
    assert_eq!(summary["fitness"][6].text, "✓ 达标");
    assert!(
        w.html.contains("人口位于需求点上"),
        "assumptions in Chinese"
    );
    assert!(
        !w.html.contains("of residents"),
        "an English figure in the Chinese report"
    );
}

#[test]
fn chromium_renders_the_report_without_errors() {
    let shots = std::env::var_os("LIFECIRCLE_REPORT_SHOTS").map(PathBuf::from);
    for lang in [Lang::En, Lang::Zh] {
        let w = sample(lang);
        let page = w.out.join("report.html");
        let shot = match &shots {
            Some(dir) => dir.join(format!("report-{lang}.png")),
            None => w.out.join(format!("report-{lang}.png")),
        };
        let b = browse(&page, &shot);
        assert!(b.errors.is_empty(), "{lang}: {:#?}", b.errors);
        assert_rendered(&b.screenshot, &shot);
        // Printed, every section starts a page.
        let sections = w.html.matches("<section ").count();
        let pages = printed_pages(&page, &w.out.join("report.pdf"));
        assert!(
            pages >= sections,
            "{lang}: {pages} pages for {sections} sections"
        );
    }
    // The check can fail: a page that loads a file and a script is caught.
    let w = sample(Lang::En);
    let page = w.out.join("tampered.html");
    let tampered = w.html.replace(
        "</body>",
        "<img src=\"maps/market.png\"><script>console.log(1)</script></body>",
    );
    std::fs::write(&page, tampered).unwrap();
    let b = browse(&page, &w.out.join("tampered.png"));
    assert!(
        b.errors.iter().any(|e| e.contains("maps/market.png")),
        "{:#?}",
        b.errors
    );
    assert!(
        b.errors.iter().any(|e| e.contains("script")),
        "{:#?}",
        b.errors
    );
}

/// Runs `toml` (layer sections with paths filled in from `case`) into a report.
fn run_toml(case: &Case, toml: &str) -> Written {
    let config = Config::from_toml(toml, Path::new("t.toml")).unwrap();
    run(
        Job::from_config(&config, case.dir.path()).unwrap(),
        Lang::En,
    )
}

#[test]
fn a_repaired_boundary_and_a_warning_are_in_the_data_notes() {
    let case = Case::new();
    // A bow-tie community (repaired: both lobes kept) beside a valid one, and a category
    // no facility has (measured as 0, with a warning).
    let bow_tie = common::ring(&[
        (0.0, 0.0),
        (200.0, 200.0),
        (200.0, 0.0),
        (0.0, 200.0),
        (0.0, 0.0),
    ]);
    let communities = case.write(
        "c.geojson",
        &collection(vec![
            common::community("bow", json!({"type": "Polygon", "coordinates": [bow_tie]})),
            common::community(
                "ok",
                json!({"type": "Polygon", "coordinates": [square(1000.0, 0.0, 100.0, 100.0)]}),
            ),
        ]),
    );
    let facilities = case.write("f.geojson", &common::markets(&[(1050.0, 50.0)]));
    let toml = format!(
        "[communities]\npath = '{}'\ncrs = 'EPSG:32650'\n\
         [facilities]\npath = '{}'\ncrs = 'EPSG:32650'\n[curve]\nenabled = false\n\
         [[category]]\nname = 'market'\nradius_m = 500\n\
         [[category]]\nname = 'library'\nradius_m = 500\n",
        communities.display(),
        facilities.display()
    );
    let w = run_toml(&case, &toml);
    let repaired = rows(&w.html, "communities-repaired");
    assert_eq!(repaired.len(), 1);
    assert_eq!(repaired[0].0, "bow");
    assert_eq!(repaired[0].1[0].sub.as_deref(), Some("#0"));
    let note = &w.summary["inputs"]["communities"]["repaired"][0];
    assert_eq!(
        repaired[0].1[1].text,
        note["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("; ")
    );
    assert!((number(&repaired[0].1[3].text) - note["area_m2_used"].as_f64().unwrap()).abs() <= 0.5);
    assert!(w.html.contains("1 invalid boundary in"), "data note");
    for warning in w.summary["warnings"].as_array().unwrap() {
        let escaped = warning
            .as_str()
            .unwrap()
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;");
        assert!(w.html.contains(&format!("<li>{escaped}</li>")), "{warning}");
    }
    assert!(w.summary["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x.as_str().unwrap().contains("library")));
    // The library category: nothing in reach, every place a gap; no target anywhere, so
    // the least-served list ranks on every category.
    check_summary_tables(&w, Lang::En);
    assert!(w
        .html
        .contains("among all categories (market, library; none has a target)"));
}

#[test]
fn demand_alone_lists_uncovered_demand_instead_of_communities() {
    let case = Case::new();
    let point = |id: &str, x: f64, population: f64| {
        json!({"type": "Feature", "properties": {"id": id, "population": population},
               "geometry": {"type": "Point",
                            "coordinates": [common::X0 + x, common::Y0]}})
    };
    let demand = case.write(
        "d.geojson",
        &collection(vec![
            point("near", 100.0, 50.0),
            point("far", 3000.0, 200.0),
            point("farther", 5000.0, 20.0),
        ]),
    );
    let facilities = case.write("f.geojson", &common::markets(&[(0.0, 0.0)]));
    let toml = format!(
        "[demand]\npath = '{}'\ncrs = 'EPSG:32650'\n\
         [facilities]\npath = '{}'\ncrs = 'EPSG:32650'\n[curve]\nenabled = false\n\
         [[category]]\nname = 'market'\nradius_m = 500\ntarget = 0.5\n",
        demand.display(),
        facilities.display()
    );
    let w = run_toml(&case, &toml);
    check_summary_tables(&w, Lang::En);
    // 50 of 270 residents: 18.5%.
    assert_eq!(
        table(&w.html, "summary")["market"][5].text,
        "18.5% of residents"
    );
    assert!(w.html.contains("There is no community layer"));
    assert!(!w.html.contains("<table id=\"least-served\""));
    // The uncovered points, most residents first.
    let gaps = rows(&w.html, "gaps-market");
    let listed: Vec<(&str, &str, &str)> = gaps
        .iter()
        .map(|(_, c)| (c[1].text.as_str(), c[2].text.as_str(), c[3].text.as_str()))
        .collect();
    assert_eq!(listed, vec![("far", "–", "200"), ("farther", "–", "20")]);
    assert!(w.html.contains("<th>Demand feature</th>"));
}

#[test]
fn without_maps_every_category_says_so() {
    let (_case, mut job) = hand_made();
    job.products.maps = false;
    let w = run(job, Lang::En);
    assert!(!w.out.join("maps").exists());
    let said = "No map: maps were not drawn in this run";
    assert_eq!(w.html.matches(said).count(), 2);
    assert_eq!(w.md.matches(said).count(), 2);
    assert!(!w.md.contains("]("), "no map linked");
    assert!(!w.html.contains("<img"));
}
