//! Writing results: `summary.json`, `summary.csv`, the terminal table, and GeoJSON layers.
//!
//! GeoJSON is written as RFC 7946: WGS 84 longitude/latitude, exterior rings
//! counter-clockwise and holes clockwise, at most 7 decimals (about 1 cm). Every file of a
//! run is first written into a staging folder inside the output folder and moved into place
//! only when all are complete, so a failed run leaves the previous outputs as they were.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use geo::orient::{Direction, Orient};
use geo::{LineString, MultiPolygon, Polygon};
use serde_json::{json, Map, Value};

use crate::config::Job;
use crate::error::{Error, Result};
use crate::pipeline::{Analysis, CategoryResult};
use crate::summary::{round6, CategorySummary};

/// The assumptions every figure rests on, written into the summary.
pub fn assumptions(distance_model: &str) -> Vec<String> {
    let reach = if distance_model == "straight-line circle" {
        "Reach is a straight-line circle around each facility (no street network): it \
         overstates walking reach where streets are sparse or blocked."
            .to_string()
    } else {
        format!("Reach is modelled as: {distance_model}.")
    };
    vec![
        reach,
        "People are spread evenly inside each community: covered population = covered share \
         of the area x population."
            .into(),
        "A community is served when the covered share of its area is at or above the served \
         threshold."
            .into(),
        "Distances and areas are measured in the working CRS (a UTM zone by default), after \
         converting GCJ-02/BD-09 input to WGS 84."
            .into(),
    ]
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
    for input in [&job.communities.path, &job.facilities.path] {
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

/// Writes every output of a run into `out_dir`; returns the files written.
pub fn write_outputs(analysis: &Analysis, out_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("summary.json".into(), summary_json(analysis).into_bytes()),
        ("summary.csv".into(), summary_csv(analysis).into_bytes()),
        (
            "communities.geojson".into(),
            communities_geojson(analysis).into_bytes(),
        ),
    ];
    for cat in &analysis.categories {
        let name = &cat.summary.name;
        files.push((
            format!("gaps_{name}.geojson"),
            gaps_geojson(analysis, cat).into_bytes(),
        ));
        files.push((
            format!("circles_{name}.geojson"),
            circles_geojson(cat).into_bytes(),
        ));
    }
    commit(out_dir, &files)
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

/// Writes the files into a staging folder, then moves each into place. The outputs of an
/// earlier run are set aside in the staging folder first and put back if any move fails,
/// so the folder ends with either all the new files or all the old ones.
fn commit(out_dir: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<PathBuf>> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(write_err(out_dir))?;
    let staging = staging_dir(out_dir);
    let (new, old) = (staging.join("new"), staging.join("old"));
    let result = (|| {
        std::fs::create_dir_all(&new).map_err(write_err(&new))?;
        std::fs::create_dir_all(&old).map_err(write_err(&old))?;
        for (name, bytes) in files {
            let path = new.join(name);
            std::fs::write(&path, bytes).map_err(write_err(&path))?;
        }
        pause_for_tests();
        SWAPPING.store(true, Ordering::SeqCst);
        let swapped = swap_in(out_dir, &new, &old, files);
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
fn swap_in(
    out_dir: &Path,
    new: &Path,
    old: &Path,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<PathBuf>> {
    let mut set_aside: Vec<&str> = Vec::new();
    let mut placed: Vec<&str> = Vec::new();
    let mut step = || -> Result<()> {
        for (name, _) in files {
            let target = out_dir.join(name);
            if target.is_dir() {
                return Err(Error::Write {
                    path: target,
                    source: std::io::Error::other("a folder is in the way of this output file"),
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
        Ok(()) => Ok(files.iter().map(|(name, _)| out_dir.join(name)).collect()),
        Err(e) => {
            for name in placed {
                let _ = std::fs::remove_file(out_dir.join(name));
            }
            for name in set_aside {
                let _ = std::fs::rename(old.join(name), out_dir.join(name));
            }
            Err(e)
        }
    }
}

/// A summary with numbers rounded for reading: fractions to 6 decimals, areas to 0.01 m2,
/// people to 0.1.
fn rounded(s: &CategorySummary) -> CategorySummary {
    let r = |v: f64, scale: f64| (v * scale).round() / scale;
    CategorySummary {
        radius_m: r(s.radius_m, 1000.0),
        coverage: round6(s.coverage),
        population_coverage: s.population_coverage.map(round6),
        area_coverage: round6(s.area_coverage),
        communities_served_share: round6(s.communities_served_share),
        population: s.population.map(|v| r(v, 10.0)),
        population_covered: s.population_covered.map(|v| r(v, 10.0)),
        area_m2: r(s.area_m2, 100.0),
        gap_area_m2: r(s.gap_area_m2, 100.0),
        ..s.clone()
    }
}

/// `summary.json`: the run's inputs, assumptions and one entry per category.
pub fn summary_json(analysis: &Analysis) -> String {
    let categories: Vec<CategorySummary> = analysis
        .categories
        .iter()
        .map(|c| rounded(&c.summary))
        .collect();
    let mut inputs = analysis.inputs.clone();
    inputs.communities.area_m2 = (inputs.communities.area_m2 * 100.0).round() / 100.0;
    let doc = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "work_crs": analysis.work_crs.to_string(),
        "distance_model": analysis.distance_model,
        "assumptions": assumptions(&analysis.distance_model),
        "inputs": inputs,
        "categories": categories,
        "warnings": analysis.warnings,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// `summary.csv`: one row per category, the same keys as `summary.json`.
pub fn summary_csv(analysis: &Analysis) -> String {
    let mut out = String::new();
    for (i, cat) in analysis.categories.iter().enumerate() {
        let Ok(Value::Object(row)) = serde_json::to_value(rounded(&cat.summary)) else {
            continue;
        };
        if i == 0 {
            let header: Vec<String> = row.keys().map(|k| csv_field(k)).collect();
            out.push_str(&header.join(","));
            out.push('\n');
        }
        let cells: Vec<String> = row
            .values()
            .map(|v| match v {
                Value::Null => String::new(),
                Value::String(s) => csv_field(s),
                other => other.to_string(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
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
    let i = &analysis.inputs;
    let mut out = String::new();
    let people = i
        .communities
        .population
        .map(|p| format!(", {} residents", thousands(p)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{} communities{people}, {:.2} km2; {} facilities ({} outside the communities); working CRS {}",
        i.communities.features,
        i.communities.area_m2 / 1e6,
        i.facilities.features,
        i.facilities.outside_communities,
        analysis.work_crs
    );
    let (repaired, skipped) = (i.communities.repaired.len(), i.communities.skipped.len());
    if repaired + skipped > 0 {
        let _ = writeln!(
            out,
            "Invalid boundaries: {repaired} repaired, {skipped} left out (listed in summary.json)."
        );
    }
    let _ = writeln!(
        out,
        "Reach: {}s. People assumed evenly spread inside each community.\n",
        analysis.distance_model
    );
    let header = [
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
    ];
    let mut rows: Vec<[String; 10]> = vec![header.map(String::from)];
    for cat in &analysis.categories {
        let s = &cat.summary;
        rows.push([
            s.name.clone(),
            format!("{} m", s.radius_m.round()),
            s.basis.to_string(),
            s.target.map(pct).unwrap_or_else(|| "-".into()),
            coverage_cell(s),
            match s.meets_target {
                Some(true) => "PASS".into(),
                Some(false) => "FAIL".into(),
                None => "-".into(),
            },
            s.population_coverage.map(pct).unwrap_or_else(|| "-".into()),
            pct(s.area_coverage),
            format!("{}/{}", s.communities_served, s.communities),
            format!("{} ({} outside)", s.facilities, s.facilities_outside),
        ]);
    }
    let widths: Vec<usize> = (0..10)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    let _ = writeln!(
        out,
        "\ncoverage is on the basis shown; people = share of residents, area = share of area, \
         served = communities with at least the served share covered."
    );
    out
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Coverage with one decimal, or more where one would show a missed target as reached
/// (94.96% against 95% prints as 94.96%, not 95.0%).
fn coverage_cell(s: &CategorySummary) -> String {
    let mut decimals = 1;
    if let (Some(target), Some(false)) = (s.target, s.meets_target) {
        while decimals < 4
            && format!("{:.*}", decimals, s.coverage * 100.0)
                == format!("{:.*}", decimals, target * 100.0)
        {
            decimals += 1;
        }
    }
    format!("{:.*}%", decimals, s.coverage * 100.0)
}

fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 && ch.is_ascii_digit() {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `communities.geojson`: every community with its input properties and per-category columns.
pub fn communities_geojson(analysis: &Analysis) -> String {
    let mut out = collection_start();
    for (k, community) in analysis.communities.iter().enumerate() {
        let mut props = community.properties.clone();
        for cat in &analysis.categories {
            let name = &cat.summary.name;
            let cov = &cat.communities[k];
            props.insert(format!("{name}_share"), number(round6(cov.share)));
            props.insert(
                format!("{name}_nearest_m"),
                cov.nearest_m
                    .map(|d| number((d * 10.0).round() / 10.0))
                    .unwrap_or(Value::Null),
            );
            props.insert(format!("{name}_count"), Value::from(cov.count));
            props.insert(format!("{name}_meets"), Value::Bool(cov.meets));
        }
        push_feature(
            &mut out,
            k == 0,
            Some(&community.id),
            &props,
            &community.boundary,
        );
    }
    collection_end(out)
}

/// `gaps_<category>.geojson`: the uncovered parts of communities, largest first.
pub fn gaps_geojson(analysis: &Analysis, cat: &CategoryResult) -> String {
    let mut out = collection_start();
    for (rank, gap) in cat.gaps.iter().enumerate() {
        let community = &analysis.communities[gap.community];
        let mut props = Map::new();
        props.insert("rank".into(), Value::from(rank + 1));
        props.insert("community_id".into(), Value::from(community.id.clone()));
        props.insert(
            "community_name".into(),
            community
                .name
                .clone()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        props.insert("category".into(), Value::from(cat.summary.name.clone()));
        props.insert(
            "area_m2".into(),
            number((gap.area_m2 * 100.0).round() / 100.0),
        );
        props.insert(
            "population".into(),
            gap.population
                .map(|p| number((p * 10.0).round() / 10.0))
                .unwrap_or(Value::Null),
        );
        push_feature(
            &mut out,
            rank == 0,
            None,
            &props,
            &MultiPolygon(vec![gap.shape.clone()]),
        );
    }
    collection_end(out)
}

/// `circles_<category>.geojson`: the dissolved service areas.
pub fn circles_geojson(cat: &CategoryResult) -> String {
    let mut out = collection_start();
    for (i, area) in cat.service_areas.iter().enumerate() {
        let mut props = Map::new();
        props.insert("category".into(), Value::from(cat.summary.name.clone()));
        props.insert("radius_m".into(), number(cat.summary.radius_m));
        props.insert("facilities".into(), Value::from(area.facilities));
        props.insert(
            "area_m2".into(),
            number((area.area_m2 * 100.0).round() / 100.0),
        );
        push_feature(&mut out, i == 0, None, &props, &area.shape);
    }
    collection_end(out)
}

fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn collection_start() -> String {
    String::from("{\"type\":\"FeatureCollection\",\"features\":[\n")
}

fn collection_end(mut out: String) -> String {
    out.push_str("\n]}\n");
    out
}

fn push_feature(
    out: &mut String,
    first: bool,
    id: Option<&str>,
    props: &Map<String, Value>,
    shape: &MultiPolygon<f64>,
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
    push_multipolygon(out, shape);
    out.push('}');
}

/// A (Multi)Polygon with RFC 7946 winding: exteriors counter-clockwise, holes clockwise.
fn push_multipolygon(out: &mut String, shape: &MultiPolygon<f64>) {
    let polys: Vec<Polygon<f64>> = shape
        .0
        .iter()
        .map(|p| p.orient(Direction::Default))
        .collect();
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
    push_ring(out, p.exterior());
    for hole in p.interiors() {
        out.push(',');
        push_ring(out, hole);
    }
    out.push(']');
}

fn push_ring(out: &mut String, ring: &LineString<f64>) {
    out.push('[');
    for (i, c) in ring.0.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "[{},{}]", coord7(c.x), coord7(c.y));
    }
    out.push(']');
}

/// A coordinate with at most 7 decimals and no trailing zeros.
fn coord7(v: f64) -> String {
    let s = format!("{v:.7}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_have_at_most_seven_decimals() {
        assert_eq!(coord7(117.123456789), "117.1234568");
        assert_eq!(coord7(39.5), "39.5");
        assert_eq!(coord7(-0.00000001), "0");
        assert_eq!(coord7(120.0), "120");
    }

    #[test]
    fn rings_are_written_counter_clockwise_with_clockwise_holes() {
        // Exterior given clockwise, hole counter-clockwise: both must be flipped.
        let p: Polygon<f64> =
            geo::wkt!(POLYGON((0. 0.,0. 10.,10. 10.,10. 0.,0. 0.),(2. 2.,8. 2.,8. 8.,2. 8.,2. 2.)));
        let mut out = String::new();
        push_multipolygon(&mut out, &MultiPolygon(vec![p]));
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
    fn thousands_separators() {
        assert_eq!(thousands(517570.0), "517,570");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
    }
}
