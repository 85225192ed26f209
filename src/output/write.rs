//! Writing results: `summary.json`, `summary.csv`, the terminal table, and GeoJSON layers.
//!
//! GeoJSON is written as RFC 7946: WGS 84 longitude/latitude, exterior rings
//! counter-clockwise and holes clockwise, at most 7 decimals (about 1 cm). Every file of a
//! run is first written into a staging folder inside the output folder and moved into place
//! only when all are complete, so a failed run leaves the previous outputs as they were.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use geo::{Polygon, Winding};
use serde_json::{json, Map, Value};

use crate::analysis::indicator::IndicatorSummary;
use crate::error::{Error, Result};
use crate::input::config::DemandKind;
use crate::input::config::Job;
use rayon::prelude::*;

use crate::analysis::level::LevelSummary;
use crate::analysis::summary::{round6, CategorySummary};
use crate::input::config::Products;
use crate::output::layers::{self, OutputLayer, Shape};
use crate::output::map;
use crate::output::report;
use crate::output::text::{coverage_pct, pct, thousands};
use crate::pipeline::Analysis;
use crate::progress::Progress;

/// The assumptions every figure rests on, written into the summary.
pub fn assumptions(analysis: &Analysis) -> Vec<String> {
    crate::output::text::assumptions(analysis, crate::input::config::Lang::En)
}

/// Refuses an output folder that holds one of the input files.
pub fn check_output_dir(job: &Job) -> Result<()> {
    let dir = if job.out_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        job.out_dir.as_path()
    };
    let Ok(out) = dir.canonicalize() else {
        return Ok(()); // not there yet: it holds nothing
    };
    let inputs = job
        .communities
        .iter()
        .map(|c| &c.path)
        .chain(std::iter::once(&job.facilities.path))
        .chain(job.demand.iter().map(|d| &d.path));
    for input in inputs {
        let parent = input
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf));
        if parent.as_deref() == Some(out.as_path()) {
            return Err(Error::OutputHoldsInput {
                dir: job.out_dir.clone(),
                input: input.clone(),
            });
        }
    }
    Ok(())
}

/// Writes every output of a run into `out_dir`: the summaries, one GeoJSON layer with its
/// QGIS style (`.qml`) per layer, and the products asked for (`results.gpkg`,
/// `maps/<category>.svg|png`, `report.html`, `report.md`). Returns the files written.
pub fn write_outputs(
    analysis: &Analysis,
    products: &Products,
    out_dir: &Path,
    progress: &dyn Progress,
) -> Result<Vec<PathBuf>> {
    commit(out_dir, |staging| {
        stage_outputs(analysis, products, staging, progress)
    })
}

/// Writes the outputs into `staging`; returns the entries made there (files, and the
/// `maps` folder).
fn stage_outputs(
    analysis: &Analysis,
    products: &Products,
    staging: &Path,
    progress: &dyn Progress,
) -> Result<Vec<String>> {
    let with_maps = products.maps && !analysis.categories.is_empty();
    let group_maps = with_maps && products.maps_per_group && !analysis.groups.is_empty();
    let layer_kinds = if products.layers {
        layers::kinds(analysis)
    } else {
        Vec::new()
    };
    let total = write_steps(analysis, products, layer_kinds.len(), with_maps, group_maps);
    progress.begin("write", total as u64);
    let mut stage = Staging {
        dir: staging,
        entries: Vec::new(),
        progress,
    };
    stage_summaries(&mut stage, analysis)?;
    stage_layers(&mut stage, analysis, products, &layer_kinds)?;
    let (svgs, pngs) = if with_maps {
        stage_maps(&mut stage, analysis, products, group_maps)?
    } else {
        (Vec::new(), Vec::new())
    };
    if products.report {
        stage_report(&mut stage, analysis, products, &svgs, &pngs)?;
    }
    progress.end();
    Ok(stage.entries)
}

/// How many steps the writing reports: a file each, two per map (SVG and PNG).
fn write_steps(
    analysis: &Analysis,
    products: &Products,
    layers: usize,
    with_maps: bool,
    group_maps: bool,
) -> usize {
    3 + 2 * layers
        + usize::from(products.geopackage) * (1 + usize::from(products.qgis_project))
        + if with_maps {
            2 * analysis.categories.len() * (1 + if group_maps { analysis.groups.len() } else { 0 })
        } else {
            0
        }
        + 2 * usize::from(products.report)
}

/// The staging folder as it fills: the entries made in it, and the writing's progress.
struct Staging<'a> {
    dir: &'a Path,
    entries: Vec<String>,
    progress: &'a dyn Progress,
}

impl Staging<'_> {
    /// Writes the file `name` with `write` and counts it.
    fn put(&mut self, name: String, write: &dyn Fn(&Path) -> Result<()>) -> Result<()> {
        staged(|| write(&self.dir.join(&name)))?;
        self.entries.push(name);
        self.progress.advance(1);
        Ok(())
    }

    /// Counts the file `name`, already written.
    fn done(&mut self, name: &str) {
        put_done(&mut self.entries, name, self.progress);
    }
}

/// `summary.json`, `summary.csv` and, when a category has a curve, `curves.csv`.
fn stage_summaries(stage: &mut Staging<'_>, analysis: &Analysis) -> Result<()> {
    stage.put("summary.json".into(), &|p| {
        write_bytes(p, summary_json(analysis).as_bytes())
    })?;
    stage.put("summary.csv".into(), &|p| {
        write_bytes(p, summary_csv(analysis).as_bytes())
    })?;
    if analysis
        .categories
        .iter()
        .any(|c| !c.summary.curve.is_empty())
    {
        stage.put("curves.csv".into(), &|p| {
            write_bytes(p, curves_csv(analysis).as_bytes())
        })?;
    }
    Ok(())
}

/// The GeoJSON layers of `layer_kinds` with their styles, and the GeoPackage (with the
/// QGIS project) when asked for.
fn stage_layers(
    stage: &mut Staging<'_>,
    analysis: &Analysis,
    products: &Products,
    layer_kinds: &[layers::LayerKind],
) -> Result<()> {
    // Each layer is made once, written as GeoJSON and into the GeoPackage, and dropped
    // before the next: a run holds one layer at a time.
    let mut gpkg = match products.geopackage {
        true => Some(staged(|| {
            crate::output::gpkg::GpkgWriter::create(&stage.dir.join("results.gpkg"))
        })?),
        false => None,
    };
    let all_kinds = if products.geopackage {
        layers::kinds(analysis)
    } else {
        layer_kinds.to_vec()
    };
    for kind in all_kinds {
        let layer = layers::build(analysis, kind);
        if layer_kinds.contains(&kind) {
            stage.put(format!("{}.geojson", layer.name), &|p| {
                write_geojson(&layer, p)
            })?;
            stage.put(format!("{}.qml", layer.name), &|p| {
                write_bytes(
                    p,
                    crate::output::qml::layer_qml(analysis, &layer).as_bytes(),
                )
            })?;
        }
        if let Some(gpkg) = gpkg.as_mut() {
            staged(|| gpkg.add(analysis, &layer))?;
        }
    }
    if let Some(gpkg) = gpkg {
        let with_project = products.qgis_project.then_some(products);
        let project = staged(|| gpkg.finish(analysis, with_project))?;
        stage.done("results.gpkg");
        if let Some(project) = project {
            let name = project.file_name();
            staged(|| write_bytes(&stage.dir.join(&name), project.qgs.as_bytes()))?;
            stage.done(&name);
        }
    }
    Ok(())
}

/// The maps of a run, for the report: its SVGs, and its PNGs' paths.
type StagedMaps = (Vec<(report::MapKey, String)>, Vec<(report::MapKey, String)>);

/// The `maps` folder: each category's map, and its groups' when asked for.
fn stage_maps(
    stage: &mut Staging<'_>,
    analysis: &Analysis,
    products: &Products,
    group_maps: bool,
) -> Result<StagedMaps> {
    let mut svgs: Vec<(report::MapKey, String)> = Vec::new();
    let mut pngs: Vec<(report::MapKey, String)> = Vec::new();
    let dir = stage.dir.join("maps");
    staged(|| std::fs::create_dir_all(&dir)).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    // Maps are drawn in parallel, one category each (and its groups' in parallel).
    let progress = stage.progress;
    let drawn: Vec<CategoryDrawn> = (0..analysis.categories.len())
        .into_par_iter()
        .map(|c| draw_category(analysis, c, products, group_maps, progress))
        .collect::<Result<_>>()?;
    let stems = map::group_file_stems(analysis.groups.iter().map(|g| g.group.as_str()));
    for (c, drawn) in drawn.into_iter().enumerate() {
        let name = &analysis.categories[c].summary.name;
        write_map(&dir, name, &drawn.whole)?;
        pngs.push(((c, None), format!("maps/{name}.png")));
        svgs.push(((c, None), drawn.whole.svg));
        if drawn.groups.is_empty() {
            continue;
        }
        let sub = dir.join(name);
        staged(|| std::fs::create_dir_all(&sub)).map_err(|source| Error::Write {
            path: sub.clone(),
            source,
        })?;
        for (g, map) in drawn.groups {
            let stem = write_group_map(&sub, &stems[g], g, &map)?;
            pngs.push(((c, Some(g)), format!("maps/{name}/{stem}.png")));
            svgs.push(((c, Some(g)), map.svg));
        }
    }
    stage.entries.push("maps".into());
    Ok((svgs, pngs))
}

/// `report.html` (with the maps' SVGs inline) and `report.md` (linking their PNGs).
fn stage_report(
    stage: &mut Staging<'_>,
    analysis: &Analysis,
    products: &Products,
    svgs: &[(report::MapKey, String)],
    pngs: &[(report::MapKey, String)],
) -> Result<()> {
    let html = report::report_html(analysis, products, svgs);
    let md = report::report_md(analysis, products, pngs);
    let mut put = |name: &str, text: String| -> Result<()> {
        let path = stage.dir.join(name);
        staged(|| std::fs::write(&path, text)).map_err(|source| Error::Write { path, source })?;
        stage.done(name);
        Ok(())
    };
    put("report.html", html)?;
    put("report.md", md)?;
    Ok(())
}

/// One map, drawn.
struct Drawn {
    svg: String,
    png: Vec<u8>,
}

/// A category's maps: the study area's, and each group's (by position in
/// `analysis.groups`) when asked for.
struct CategoryDrawn {
    whole: Drawn,
    groups: Vec<(usize, Drawn)>,
}

fn draw_category(
    analysis: &Analysis,
    c: usize,
    products: &Products,
    group_maps: bool,
    progress: &dyn Progress,
) -> Result<CategoryDrawn> {
    let maps = map::CategoryMaps::new(analysis, c)?;
    let render = |svg: String| -> Result<Drawn> {
        let png = map::map_png(&svg, products.map_dpi)?;
        progress.advance(2);
        Ok(Drawn { svg, png })
    };
    let whole = render(maps.whole(analysis, products))?;
    let groups = if group_maps {
        (0..analysis.groups.len())
            .into_par_iter()
            .filter_map(|g| {
                let svg = maps.of_group(analysis, products, g);
                if svg.is_none() {
                    progress.advance(2); // a group with no community on the map
                }
                Some(render(svg?).map(|d| (g, d)))
            })
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    Ok(CategoryDrawn { whole, groups })
}

/// Writes `maps/<name>.svg` and `.png`.
fn write_map(dir: &Path, name: &str, map: &Drawn) -> Result<()> {
    for (file, bytes) in [
        (format!("{name}.svg"), map.svg.as_bytes()),
        (format!("{name}.png"), &map.png[..]),
    ] {
        let path = dir.join(&file);
        staged(|| std::fs::write(&path, bytes)).map_err(|source| Error::Write { path, source })?;
    }
    Ok(())
}

/// Writes a group's map as `<stem>.svg|png` in `dir`, or, when the file system refuses that
/// name (a Chinese name on a file system without UTF-8 names), as `group-<n>.svg|png`
/// (`n` the group's position, from 1). Returns the stem used.
fn write_group_map(dir: &Path, stem: &str, g: usize, map: &Drawn) -> Result<String> {
    if write_map(dir, stem, map).is_ok() {
        return Ok(stem.to_string());
    }
    for file in [format!("{stem}.svg"), format!("{stem}.png")] {
        let _ = std::fs::remove_file(dir.join(file));
    }
    let plain = format!("group-{}", g + 1);
    write_map(dir, &plain, map)?;
    Ok(plain)
}

fn put_done(entries: &mut Vec<String>, name: &str, progress: &dyn Progress) {
    entries.push(name.to_string());
    progress.advance(1);
}

/// Held (shared) while a file is written into the staging folder; [`stop_staging`] takes it
/// for good, so a signal handler removes the folder only when no file is being written.
static STAGING: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Runs `write`, one file's writing, unless staging was stopped (then it waits forever:
/// the process is about to exit).
fn staged<T>(write: impl FnOnce() -> T) -> T {
    let _writing = STAGING
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    write()
}

/// Waits for the file being written to be finished, and lets no other be started. For a
/// signal handler that removes the staging folder and exits.
pub fn stop_staging() {
    let stopped = STAGING
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    std::mem::forget(stopped);
}

/// Set while finished outputs are being moved into place; a signal handler waits for it
/// to clear, so an interruption never leaves half the old and half the new files.
static SWAPPING: AtomicBool = AtomicBool::new(false);

/// Whether outputs are being moved into place right now.
pub fn swapping_outputs() -> bool {
    SWAPPING.load(Ordering::SeqCst)
}

/// The staging folder a run of this process uses inside `out_dir`; remove it to abandon
/// the run (what the binary does on SIGINT or SIGTERM).
pub fn staging_dir(out_dir: &Path) -> PathBuf {
    out_dir.join(format!(".lifecircle-partial-{}", std::process::id()))
}

/// Has `stage` write the outputs into a staging folder, then moves each into place. The
/// outputs of an earlier run are set aside in the staging folder first and put back if any
/// move fails, so the folder ends with either all the new files or all the old ones.
fn commit(
    out_dir: &Path,
    stage: impl FnOnce(&Path) -> Result<Vec<String>>,
) -> Result<Vec<PathBuf>> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(write_err(out_dir))?;
    let staging = staging_dir(out_dir);
    let (new, old) = (staging.join("new"), staging.join("old"));
    let result = (|| {
        staged(|| std::fs::create_dir_all(&new)).map_err(write_err(&new))?;
        staged(|| std::fs::create_dir_all(&old)).map_err(write_err(&old))?;
        let entries = stage(&new)?;
        pause_for_tests();
        SWAPPING.store(true, Ordering::SeqCst);
        let swapped = swap_in(out_dir, &new, &old, &entries);
        SWAPPING.store(false, Ordering::SeqCst);
        swapped
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// `LIFECIRCLE_TEST_PAUSE_MS` holds a run between staging and swapping, so tests can
/// interrupt it there.
fn pause_for_tests() {
    if let Some(ms) = std::env::var("LIFECIRCLE_TEST_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Moves the staged files into `out_dir`, setting aside what they replace; on failure
/// undoes every move made.
fn swap_in(out_dir: &Path, new: &Path, old: &Path, entries: &[String]) -> Result<Vec<PathBuf>> {
    let mut set_aside: Vec<&str> = Vec::new();
    let mut placed: Vec<&str> = Vec::new();
    let mut step = || -> Result<()> {
        for name in entries {
            let target = out_dir.join(name);
            let folder = new.join(name).is_dir();
            if target.exists() && target.is_dir() != folder {
                let what = if folder {
                    "a file is in the way of this output folder"
                } else {
                    "a folder is in the way of this output file"
                };
                return Err(Error::Write {
                    path: target,
                    source: std::io::Error::other(what),
                });
            }
            if target.exists() {
                std::fs::rename(&target, old.join(name)).map_err(|source| Error::Write {
                    path: target.clone(),
                    source,
                })?;
                set_aside.push(name);
            }
            std::fs::rename(new.join(name), &target).map_err(|source| Error::Write {
                path: target.clone(),
                source,
            })?;
            placed.push(name);
        }
        Ok(())
    };
    match step() {
        Ok(()) => Ok(written(out_dir, entries)),
        Err(e) => {
            for name in placed {
                let path = out_dir.join(name);
                let _ = if path.is_dir() {
                    std::fs::remove_dir_all(path)
                } else {
                    std::fs::remove_file(path)
                };
            }
            for name in set_aside {
                let _ = std::fs::rename(old.join(name), out_dir.join(name));
            }
            Err(e)
        }
    }
}

/// The files now in place: each entry, and the files inside a folder entry, sorted.
fn written(out_dir: &Path, entries: &[String]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for name in entries {
        let path = out_dir.join(name);
        match std::fs::read_dir(&path) {
            Ok(dir) if path.is_dir() => {
                let mut inner: Vec<PathBuf> =
                    dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
                inner.sort();
                out.extend(inner);
            }
            _ => out.push(path),
        }
    }
    out
}

/// A summary with numbers rounded for reading: fractions to 6 decimals, areas to 0.01 m2,
/// people to 0.1.
fn rounded(s: &CategorySummary) -> CategorySummary {
    let r = |v: f64, scale: f64| (v * scale).round() / scale;
    CategorySummary {
        radius_m: r(s.radius_m, 1000.0),
        coverage: round6(s.coverage),
        circle_coverage: s.circle_coverage.map(round6),
        population_coverage: s.population_coverage.map(round6),
        area_coverage: s.area_coverage.map(round6),
        communities_served_share: s.communities_served_share.map(round6),
        population: s.population.map(|v| r(v, 10.0)),
        population_covered: s.population_covered.map(|v| r(v, 10.0)),
        area_m2: s.area_m2.map(|v| r(v, 100.0)),
        gap_area_m2: s.gap_area_m2.map(|v| r(v, 100.0)),
        curve: s
            .curve
            .iter()
            .map(|&[radius, c]| [r(radius, 1000.0), round6(c)])
            .collect(),
        ..s.clone()
    }
}

fn rounded_level(s: &LevelSummary) -> LevelSummary {
    let r = |v: f64, scale: f64| (v * scale).round() / scale;
    LevelSummary {
        radius_m: r(s.radius_m, 1000.0),
        complete_share: round6(s.complete_share),
        population: s.population.map(|v| r(v, 10.0)),
        population_complete: s.population_complete.map(|v| r(v, 10.0)),
        area_complete_share: s.area_complete_share.map(round6),
        ..s.clone()
    }
}

fn rounded_indicator(s: &IndicatorSummary) -> IndicatorSummary {
    IndicatorSummary {
        share_meeting: s.share_meeting.map(round6),
        value_range: s.value_range.map(|[a, b]| [round6(a), round6(b)]),
        ..s.clone()
    }
}

/// A siting with people to 0.1 and shares to 6 decimals.
fn rounded_siting(
    s: &crate::analysis::siting::SitingResult,
) -> crate::analysis::siting::SitingResult {
    let people = |x: f64| (x * 10.0).round() / 10.0;
    let mut s = s.clone();
    for a in &mut s.added {
        a.population_added = people(a.population_added);
        a.coverage = round6(a.coverage);
    }
    s.coverage_before = round6(s.coverage_before);
    s.coverage_after = round6(s.coverage_after);
    s.population_covered_before = people(s.population_covered_before);
    s.population_covered_after = people(s.population_covered_after);
    s.population = people(s.population);
    s.upper_bound_population = people(s.upper_bound_population);
    s.gap = people(s.gap);
    s
}

/// `summary.json`: the run's inputs, assumptions and one entry per category.
pub fn summary_json(analysis: &Analysis) -> String {
    let categories: Vec<CategorySummary> = analysis
        .categories
        .iter()
        .map(|c| rounded(&c.summary))
        .collect();
    let mut inputs = analysis.inputs.clone();
    if let Some(c) = inputs.communities.as_mut() {
        c.area_m2 = (c.area_m2 * 100.0).round() / 100.0;
    }
    if let Some(d) = inputs.demand.as_mut() {
        d.weight = (d.weight * 10.0).round() / 10.0;
    }
    let levels: Vec<LevelSummary> = analysis
        .levels
        .iter()
        .map(|l| rounded_level(&l.summary))
        .collect();
    let indicators: Vec<IndicatorSummary> = analysis
        .indicators
        .iter()
        .map(|i| rounded_indicator(&i.summary))
        .collect();
    let groups: Vec<Value> = analysis
        .groups
        .iter()
        .map(|g| {
            json!({
                "group": g.group,
                "categories": g.categories.iter().map(rounded).collect::<Vec<_>>(),
                "levels": g.levels.iter().map(rounded_level).collect::<Vec<_>>(),
                "indicators": g.indicators.iter().map(rounded_indicator).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut doc = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "work_crs": analysis.work_crs.to_string(),
        "distance_model": analysis.distance_model,
        "assumptions": assumptions(analysis),
        "inputs": inputs,
        "categories": categories,
        "levels": levels,
        "indicators": indicators,
        "group_field": analysis.group_field,
        "group_label": analysis.group_label,
        "groups": groups,
        "warnings": analysis.warnings,
    });
    // A study split by zone: the CRS of each zone measured in (`work_crs` is then the one the
    // maps are drawn in).
    if analysis.tiles.zones.len() > 1 {
        doc["zones"] = json!(analysis
            .tiles
            .zones
            .iter()
            .map(|z| z.to_string())
            .collect::<Vec<_>>());
    }
    if !analysis.siting.is_empty() {
        doc["siting"] = json!(analysis
            .siting
            .iter()
            .map(rounded_siting)
            .collect::<Vec<_>>());
    }
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// `summary.csv`: one row per category, overall (`group` empty) and then per group, with
/// the keys of `summary.json` (the curve is in `curves.csv`).
pub fn summary_csv(analysis: &Analysis) -> String {
    let mut out = String::new();
    for (i, (group, summary)) in category_rows(analysis).enumerate() {
        let Ok(Value::Object(mut row)) = serde_json::to_value(rounded(summary)) else {
            continue;
        };
        row.remove("curve");
        if i == 0 {
            let header: Vec<String> = std::iter::once("group".to_string())
                .chain(row.keys().map(|k| csv_field(k)))
                .collect();
            out.push_str(&header.join(","));
            out.push('\n');
        }
        let cells: Vec<String> = std::iter::once(csv_field(group))
            .chain(row.values().map(|v| match v {
                Value::Null => String::new(),
                Value::String(s) => csv_field(s),
                other => other.to_string(),
            }))
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Every category summary with its group: the whole study area (`""`) first, then each
/// group.
fn category_rows(analysis: &Analysis) -> impl Iterator<Item = (&str, &CategorySummary)> {
    let overall = analysis.categories.iter().map(|c| ("", &c.summary));
    let by_group = analysis
        .groups
        .iter()
        .flat_map(|g| g.categories.iter().map(move |c| (g.group.as_str(), c)));
    overall.chain(by_group)
}

/// `curves.csv`: coverage against radius, one row per category, group and radius.
pub fn curves_csv(analysis: &Analysis) -> String {
    let mut out = String::from("category,group,radius_m,coverage,basis,distance_model\n");
    for (group, s) in category_rows(analysis) {
        let basis = s.curve_basis.map(|b| b.to_string()).unwrap_or_default();
        for &[radius, coverage] in &s.curve {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                csv_field(&s.name),
                csv_field(group),
                crate::input::config::fmt_num((radius * 1000.0).round() / 1000.0),
                round6(coverage),
                basis,
                csv_field(&s.distance_model)
            );
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The readable table printed on the terminal.
pub fn summary_table(analysis: &Analysis) -> String {
    let mut out = String::new();
    inputs_lines(&mut out, analysis);
    let with_circle = analysis
        .categories
        .iter()
        .any(|c| c.summary.circle_coverage.is_some());
    category_table(&mut out, analysis, with_circle);
    if !analysis.groups.is_empty() {
        group_table(&mut out, analysis, with_circle);
    }
    if !analysis.levels.is_empty() {
        level_table(&mut out, analysis);
    }
    if !analysis.indicators.is_empty() {
        indicator_table(&mut out, analysis);
    }
    for siting in &analysis.siting {
        siting_table(&mut out, siting);
    }
    out
}

/// The lines on what was read: the communities, the demand, the facilities, the street
/// network, and how reach and people are counted.
fn inputs_lines(out: &mut String, analysis: &Analysis) {
    let i = &analysis.inputs;
    if let Some(c) = &i.communities {
        let people = c
            .population
            .map(|p| format!(", {} residents", thousands(p)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} communities{people}, {:.2} km2",
            c.features,
            c.area_m2 / 1e6
        );
        let (repaired, skipped) = (c.repaired.len(), c.skipped.len());
        if repaired + skipped > 0 {
            let _ = writeln!(
                out,
                "Invalid boundaries: {repaired} repaired, {skipped} left out (listed in summary.json)."
            );
        }
    }
    if let Some(d) = &i.demand {
        let outside = match (d.outside_communities, d.outside_weight) {
            (Some(n), Some(w)) if w > 0.0 => {
                format!(
                    " ({n} wholly outside the communities; {} weight left out)",
                    thousands(w)
                )
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "Demand: {} {} weighing {} (field \"{}\"){outside}",
            d.features,
            d.kind,
            thousands(d.weight),
            d.weight_field
        );
    }
    let _ = writeln!(
        out,
        "{} facilities ({} outside the study area); working CRS {}",
        i.facilities.features,
        i.facilities.outside_communities,
        crate::output::text::working_crs(analysis, crate::input::config::Lang::En)
    );
    let people = match i.demand.as_ref().map(|d| d.kind) {
        Some(DemandKind::Points) => "People counted at the demand points.",
        Some(DemandKind::Polygons) => "People spread evenly inside each demand polygon.",
        None => "People assumed evenly spread inside each community.",
    };
    if let Some(n) = &i.network {
        let _ = writeln!(
            out,
            "Street network: {} ways read ({}), {} nodes, {} edges, {:.1} km; {} islands under {} \
             nodes dropped; {} places more than {} m from a street",
            n.ways_read,
            n.source,
            n.nodes,
            n.edges,
            n.length_km,
            n.components_dropped,
            n.min_component_nodes,
            n.points_unreachable,
            crate::input::config::fmt_num(n.snap_max_m)
        );
    }
    let reach = match analysis.distance_model.as_str() {
        "street network" => "walked along the street network".to_string(),
        model => format!("{model}s"),
    };
    let _ = writeln!(out, "Reach: {reach}. {people}\n");
}

/// A category's straight-line circle coverage, or "-" without one.
fn circle_pct(s: &CategorySummary) -> String {
    s.circle_coverage.map(pct).unwrap_or_else(|| "-".into())
}

/// The table of the categories (with a circle column when a category has a circle figure),
/// and the note under it.
fn category_table(out: &mut String, analysis: &Analysis, with_circle: bool) {
    let mut rows: Vec<Vec<String>> = vec![[
        "category",
        "radius",
        "basis",
        "target",
        "coverage",
        "result",
        "people",
        "area",
        "served",
        "facilities",
    ]
    .map(String::from)
    .to_vec()];
    if with_circle {
        rows[0].insert(5, "circle".into());
    }
    for cat in &analysis.categories {
        let s = &cat.summary;
        rows.push(vec![
            s.name.clone(),
            format!("{} m", s.radius_m.round()),
            s.basis.to_string(),
            s.target.map(pct).unwrap_or_else(|| "-".into()),
            coverage_pct(s),
            verdict(s.meets_target),
            s.population_coverage.map(pct).unwrap_or_else(|| "-".into()),
            s.area_coverage.map(pct).unwrap_or_else(|| "-".into()),
            if s.communities > 0 {
                format!("{}/{}", s.communities_served, s.communities)
            } else {
                "-".into()
            },
            format!("{} ({} outside)", s.facilities, s.facilities_outside),
        ]);
        if with_circle {
            if let Some(row) = rows.last_mut() {
                row.insert(5, circle_pct(s));
            }
        }
    }
    render(out, &rows);
    let _ = writeln!(
        out,
        "\ncoverage is on the basis shown; people = share of residents, area = share of area, \
         served = communities with at least the served share covered."
    );
}

/// The table of every category in every group.
fn group_table(out: &mut String, analysis: &Analysis, with_circle: bool) {
    let field = analysis.group_field.as_deref().unwrap_or("group");
    let _ = writeln!(out, "\nBy {field}:");
    let mut rows: Vec<Vec<String>> = vec![[
        "group", "category", "basis", "target", "coverage", "result", "served",
    ]
    .map(String::from)
    .to_vec()];
    for g in &analysis.groups {
        for s in &g.categories {
            rows.push(vec![
                g.group.clone(),
                s.name.clone(),
                s.basis.to_string(),
                s.target.map(pct).unwrap_or_else(|| "-".into()),
                coverage_pct(s),
                verdict(s.meets_target),
                if s.communities > 0 {
                    format!("{}/{}", s.communities_served, s.communities)
                } else {
                    "-".into()
                },
            ]);
            if with_circle {
                if let Some(row) = rows.last_mut() {
                    row.insert(5, circle_pct(s));
                }
            }
        }
    }
    if with_circle {
        rows[0].insert(5, "circle".into());
    }
    render(out, &rows);
}

/// The table of the life-circle levels.
fn level_table(out: &mut String, analysis: &Analysis) {
    let _ = writeln!(out, "\nLife circles (every listed category within reach):");
    let mut rows: Vec<Vec<String>> = vec![[
        "level",
        "radius",
        "categories",
        "basis",
        "complete",
        "target",
        "result",
        "places complete",
        "most missing",
    ]
    .map(String::from)
    .to_vec()];
    for l in &analysis.levels {
        let s = &l.summary;
        let most = s.most_missing().unwrap_or_else(|| "-".into());
        rows.push(vec![
            s.name.clone(),
            format!("{} m", s.radius_m.round()),
            s.categories.len().to_string(),
            s.basis.to_string(),
            pct(s.complete_share),
            s.target.map(pct).unwrap_or_else(|| "-".into()),
            verdict(s.meets_target),
            format!("{}/{} {}", s.places_complete, s.places, s.places_are),
            most,
        ]);
    }
    render(out, &rows);
}

/// The table of the ratio indicators.
fn indicator_table(out: &mut String, analysis: &Analysis) {
    let _ = writeln!(out, "\nIndicators per community:");
    let mut rows: Vec<Vec<String>> = vec![[
        "indicator",
        "bound",
        "judged",
        "meeting",
        "share",
        "target",
        "result",
    ]
    .map(String::from)
    .to_vec()];
    for ind in &analysis.indicators {
        let s = &ind.summary;
        rows.push(vec![
            s.name.clone(),
            s.bound.clone(),
            format!("{}/{}", s.judged, s.communities),
            s.meeting.to_string(),
            s.share_meeting.map(pct).unwrap_or_else(|| "-".into()),
            pct(s.target_share),
            verdict(s.meets_target),
        ]);
    }
    render(out, &rows);
}

/// A siting: where, in order, and what each new site adds.
fn siting_table(out: &mut String, s: &crate::analysis::siting::SitingResult) {
    let scope = s.group.as_deref().unwrap_or("the study area");
    let _ = writeln!(
        out,
        "\nWhere to add {} ({scope}, {} {} m, {} candidates from {}):",
        s.category,
        s.distance_model,
        s.radius_m.round(),
        s.candidates,
        s.candidates_source
    );
    let mut rows: Vec<Vec<String>> = vec![["rank", "site", "people added", "coverage after"]
        .map(String::from)
        .to_vec()];
    rows.push(vec![
        "-".into(),
        "(existing facilities)".into(),
        "-".into(),
        pct(s.coverage_before),
    ]);
    for a in &s.added {
        rows.push(vec![
            a.rank.to_string(),
            a.id.clone(),
            format!("{:.0}", a.population_added),
            pct(a.coverage),
        ]);
    }
    render(out, &rows);
    let bound = if s.problem == "add" {
        format!(
            "; at most {:.0} people can be reached with {} sites (gap {:.0})",
            s.upper_bound_population,
            s.added.len(),
            s.gap
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{}; re-checked by the coverage engine: {} -> {}{bound}.",
        s.note,
        pct(s.coverage_before),
        pct(s.coverage_after)
    );
}

/// Terminal columns a text takes: East Asian wide characters (Chinese names) take two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

fn verdict(meets: Option<bool>) -> String {
    match meets {
        Some(true) => "PASS".into(),
        Some(false) => "FAIL".into(),
        None => "-".into(),
    }
}

/// Left-aligned columns, two spaces apart.
fn render(out: &mut String, rows: &[Vec<String>]) {
    let columns = rows.first().map(Vec::len).unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map(|s| display_width(s)).unwrap_or(0))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| {
                let pad = w.saturating_sub(display_width(cell));
                format!("{cell}{}", " ".repeat(pad))
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
}

/// A layer as an RFC 7946 GeoJSON FeatureCollection.
pub fn geojson(layer: &OutputLayer<'_>) -> String {
    let mut out = collection_start();
    for (i, f) in layer.features.iter().enumerate() {
        push_feature(&mut out, i == 0, f.id, &f.properties, &f.shape);
    }
    collection_end(out)
}

/// Features formatted per parallel task, and per batch written before the next is formatted.
const FEATURES_PER_TASK: usize = 512;
const FEATURES_PER_BATCH: usize = 64 * FEATURES_PER_TASK;

/// Writes [`geojson`]'s text to `path` as a stream: features are formatted in parallel, a
/// batch at a time, and written in order by a thread of its own while the next batch is
/// formatted, so a layer of millions of features never sits in memory as one text.
pub fn write_geojson(layer: &OutputLayer<'_>, path: &Path) -> Result<()> {
    use std::io::Write as _;
    let fail = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(path).map_err(fail)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    // One batch waiting while one is written: at most three in memory.
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<String>>(1);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> std::io::Result<()> {
            out.write_all(collection_start().as_bytes())?;
            for texts in receive {
                for text in texts {
                    out.write_all(text.as_bytes())?;
                }
            }
            out.write_all(COLLECTION_END.as_bytes())?;
            out.flush()
        });
        for (b, batch) in layer.features.chunks(FEATURES_PER_BATCH).enumerate() {
            let texts: Vec<String> = batch
                .par_chunks(FEATURES_PER_TASK)
                .enumerate()
                .map(|(t, task)| {
                    let mut text = String::with_capacity(256 * task.len());
                    for (i, f) in task.iter().enumerate() {
                        let first = b == 0 && t == 0 && i == 0;
                        push_feature(&mut text, first, f.id, &f.properties, &f.shape);
                    }
                    text
                })
                .collect();
            if send.send(texts).is_err() {
                // The writer stopped on an error, reported below.
                break;
            }
        }
        drop(send);
        match writer.join() {
            Ok(written) => written.map_err(fail),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn collection_start() -> String {
    String::from("{\"type\":\"FeatureCollection\",\"features\":[\n")
}

/// What closes a FeatureCollection's text.
const COLLECTION_END: &str = "\n]}\n";

fn collection_end(mut out: String) -> String {
    out.push_str(COLLECTION_END);
    out
}

fn push_feature(
    out: &mut String,
    first: bool,
    id: Option<&str>,
    props: &Map<String, Value>,
    shape: &Shape<'_>,
) {
    if !first {
        out.push_str(",\n");
    }
    out.push_str("{\"type\":\"Feature\",");
    if let Some(id) = id {
        out.push_str("\"id\":");
        out.push_str(&Value::from(id).to_string());
        out.push(',');
    }
    out.push_str("\"properties\":");
    out.push_str(&serde_json::to_string(props).unwrap_or_else(|_| "{}".into()));
    out.push_str(",\"geometry\":");
    match shape {
        Shape::Area(mp) => push_multipolygon(out, mp),
        Shape::Point(c) => {
            out.push_str("{\"type\":\"Point\",\"coordinates\":");
            push_position(out, *c);
            out.push('}');
        }
        Shape::Points(cs) => {
            out.push_str("{\"type\":\"MultiPoint\",\"coordinates\":[");
            for (i, c) in cs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_position(out, *c);
            }
            out.push_str("]}");
        }
    }
    out.push('}');
}

/// A (Multi)Polygon with RFC 7946 winding: exteriors counter-clockwise, holes clockwise.
fn push_multipolygon(out: &mut String, polys: &[Polygon<f64>]) {
    if polys.len() == 1 {
        out.push_str("{\"type\":\"Polygon\",\"coordinates\":");
        push_polygon(out, &polys[0]);
    } else {
        out.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":[");
        for (i, p) in polys.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_polygon(out, p);
        }
        out.push(']');
    }
    out.push('}');
}

fn push_polygon(out: &mut String, p: &Polygon<f64>) {
    out.push('[');
    push_ring(out, p.exterior().points_ccw());
    for hole in p.interiors() {
        out.push(',');
        push_ring(out, hole.points_cw());
    }
    out.push(']');
}

fn push_ring(out: &mut String, ring: impl Iterator<Item = geo::Point<f64>>) {
    out.push('[');
    for (i, c) in ring.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_position(out, c.0);
    }
    out.push(']');
}

fn push_position(out: &mut String, c: geo::Coord<f64>) {
    out.push('[');
    push_coord7(out, c.x);
    out.push(',');
    push_coord7(out, c.y);
    out.push(']');
}

/// A coordinate with at most 7 decimals and no trailing zeros, appended without a
/// temporary string: the text `format!("{v:.7}")` gives, trimmed.
///
/// `v × 10⁷` rounded is the answer whenever the product lies clearly away from a half (its
/// rounding error is below 10⁻⁶ for any coordinate of this size); near a half, and for
/// values too large for the shortcut, the standard formatter rounds the exact value.
fn push_coord7(out: &mut String, v: f64) {
    let scaled = v * 1e7;
    let rounded = scaled.round();
    if v.is_finite() && scaled.abs() < 1e15 && (scaled - rounded).abs() < 0.5 - 1e-6 {
        let n = rounded as i64;
        if n < 0 {
            out.push('-');
        }
        let n = n.unsigned_abs();
        let (whole, mut frac) = (n / 10_000_000, n % 10_000_000);
        push_digits(out, whole);
        if frac > 0 {
            let mut digits = 7;
            while frac % 10 == 0 {
                frac /= 10;
                digits -= 1;
            }
            out.push('.');
            let mut text = [b'0'; 7];
            for slot in text[..digits].iter_mut().rev() {
                *slot = b'0' + (frac % 10) as u8;
                frac /= 10;
            }
            for &b in &text[..digits] {
                out.push(char::from(b));
            }
        }
        return;
    }
    let start = out.len();
    let _ = write!(out, "{v:.7}");
    let kept = out[start..]
        .trim_end_matches('0')
        .trim_end_matches('.')
        .len();
    out.truncate(start + kept);
    if &out[start..] == "-0" {
        out.truncate(start);
        out.push('0');
    }
}

fn push_digits(out: &mut String, mut n: u64) {
    let mut text = [0u8; 20];
    let mut at = text.len();
    loop {
        at -= 1;
        text[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &text[at..] {
        out.push(char::from(b));
    }
}

/// [`push_coord7`] as a string.
#[cfg(test)]
fn coord7(v: f64) -> String {
    let mut s = String::new();
    push_coord7(&mut s, v);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut gives the standard formatter's text, trimmed, for every kind of value:
    /// random coordinates, halves at the eighth decimal, exact ties, negatives, zero.
    #[test]
    fn the_fast_coordinate_text_is_the_standard_one() {
        let standard = |v: f64| {
            let s = format!("{v:.7}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" {
                "0".to_string()
            } else {
                s.to_string()
            }
        };
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut values = vec![
            0.0,
            -0.0,
            1.0 / 256.0,
            -1.0 / 256.0,
            0.5,
            180.0,
            -180.0,
            1e-8,
        ];
        for _ in 0..200_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            values.push(u * 360.0 - 180.0);
            // Just around a half at the eighth decimal.
            let k = (u * 1e9).floor();
            values.push((k + 0.5) / 1e7);
            values.push(-(k + 0.5) / 1e7);
        }
        for v in values {
            assert_eq!(coord7(v), standard(v), "{v:e}");
        }
    }

    #[test]
    fn coordinates_have_at_most_seven_decimals() {
        assert_eq!(coord7(117.123456789), "117.1234568");
        assert_eq!(coord7(39.5), "39.5");
        assert_eq!(coord7(-0.00000001), "0");
        assert_eq!(coord7(120.0), "120");
    }

    /// More features than one batch: the streamed file is byte for byte the text.
    #[test]
    fn a_streamed_layer_is_the_same_text() {
        let ids: Vec<String> = (0..FEATURES_PER_BATCH + 700)
            .map(|i| format!("f{i}"))
            .collect();
        let triangle = [geo::wkt!(POLYGON((0. 0.,1. 0.,1. 1.,0. 0.)))];
        let features = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let mut properties = Map::new();
                properties.insert("n".into(), Value::from(i));
                let x = 117.0 + i as f64 * 1e-5;
                let shape = if i % 3 == 0 {
                    layers::Shape::Area(&triangle)
                } else {
                    layers::Shape::Point(geo::Coord { x, y: 39.1 })
                };
                layers::Feature {
                    id: Some(id.as_str()),
                    properties,
                    shape,
                }
            })
            .collect();
        let layer = OutputLayer {
            name: "t".into(),
            kind: layers::LayerKind::Facilities,
            geometry: layers::GeometryKind::Point,
            features,
            kept: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.geojson");
        write_geojson(&layer, &path).unwrap();
        let text = geojson(&layer);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["features"].as_array().unwrap().len(),
            FEATURES_PER_BATCH + 700
        );
    }

    #[test]
    fn rings_are_written_counter_clockwise_with_clockwise_holes() {
        // Exterior given clockwise, hole counter-clockwise: both must be flipped.
        let p: Polygon<f64> =
            geo::wkt!(POLYGON((0. 0.,0. 10.,10. 10.,10. 0.,0. 0.),(2. 2.,8. 2.,8. 8.,2. 8.,2. 2.)));
        let mut out = String::new();
        push_multipolygon(&mut out, &[p]);
        let v: Value = serde_json::from_str(&out).unwrap();
        let signed = |ring: &Value| -> f64 {
            let pts: Vec<(f64, f64)> = ring
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                .collect();
            pts.windows(2)
                .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
                .sum::<f64>()
                / 2.0
        };
        assert!(signed(&v["coordinates"][0]) > 0.0, "exterior CCW");
        assert!(signed(&v["coordinates"][1]) < 0.0, "hole CW");
    }

    #[test]
    fn chinese_names_take_two_columns() {
        assert_eq!(display_width("东海街"), 6);
        assert_eq!(display_width("market"), 6);
        let mut out = String::new();
        render(
            &mut out,
            &[
                vec!["东海街".into(), "x".into()],
                vec!["market".into(), "y".into()],
            ],
        );
        assert_eq!(out, "东海街  x\nmarket  y\n");
    }
}
