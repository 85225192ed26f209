//! Coverage of a population grid (a demand layer, no communities) checked against an
//! independent computation.
//!
//! Helsinki: the HSY 250 m population grid, 92 cells and 71,724 people, copied into
//! `data/helsinki/` (HSY, CC BY 4.0; see data/README.md), and the 87 OSM facility points of `data/helsinki/` in four categories.
//! The expected figures in `tests/reference/helsinki_demand_expected.json` come from
//! `tests/reference/helsinki_demand_reference.py`, which uses shapely 2 and pyproj and
//! nothing of lifecircle: buffers of 1,024 segments, one global union per radius,
//! intersection per cell, all in EPSG:32635. The JSON holds no per-cell population; where
//! a test needs one it reads the grid.
//!
//! Two modes are checked:
//! - polygons: the cells themselves, people spread evenly in each;
//! - points: each cell reduced to its centre, carrying its whole population.
//!
//! Tolerances, from the geometry. lifecircle draws a circle of radius R as a 128-gon of the
//! circle's area: its vertices lie 2.0e-4 R outside the true circle and its edge midpoints
//! 1.0e-4 R inside it (0.20 m / 0.10 m at 1,000 m, 0.60 m / 0.30 m at 3,000 m). shapely's
//! 1,024-segment buffer is inscribed: 4.7e-6 R inside at mid-edges, 6.3e-6 of the area
//! short. The two boundaries thus differ by at most ~2.1e-4 R, in a wave of period
//! 2 pi R / 128 (49 m at 1,000 m) that averages out to nearly nothing along a cell edge. A
//! crude bound for one 250 m cell (62,500 m2) cut by at most ~700 m of union boundary at
//! R = 1,000 m: 0.21 m x 700 m / 62,500 m2 = 2.4e-3; in practice the wave cancels and the
//! per-cell share differs by at most 4.3e-5 (seen). Whole-grid figures average many cells:
//! at most 4.2e-6 seen, on the runs and on the whole curve. Distances need no
//! circle: nearest_m is a point-to-point distance in the same projection, and both sides
//! take the same centroid (in UTM) for a cell.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use geo::{Contains, Coord, Intersects, LineString, Point, Polygon};
use lifecircle::config::DemandKind;
use lifecircle::{analyse, Analysis, Basis, Config, Job};
use serde_json::{json, Value};

const CATEGORIES: [&str; 4] = ["market", "fitness", "health", "education"];
const TOTAL_POPULATION: f64 = 71_724.0;

/// Whole-grid coverage (population and area, runs and curve) against the reference,
/// absolute (seen: 4.2e-6).
const TOTAL_TOL: f64 = 1e-4;
/// The curve against a run at one of its radii. The curve measures true circles (split by
/// the facilities' nearest-facility cells, closed form per piece); a run clips the
/// equal-area 128-gons it also draws. Both have the circle's area, but the polygon's edge
/// lies up to 0.03% of the radius inside or outside the circle, so where a circle's edge
/// crosses a place the covered areas differ by a sliver: at most 3.2e-7 of a share here
/// (measured), bounded by 0.01 pp (1e-4) as the coverage figures are rounded.
const CURVE_VS_RUN_TOL: f64 = 1e-4;
/// One cell's covered share against the reference, absolute (see the module comment: the
/// geometric bound is ~2.4e-3 at 1,000 m; seen: 4.3e-5).
const CELL_TOL: f64 = 5e-4;
/// Nearest facility, metres: the same point-to-point distance on both sides; what is left
/// is the two PROJ builds and the centre (seen: 2e-9 m for polygons, whose centroids agree;
/// 2.1 mm for points, from the lon/lat corner average, see `write_centres`).
const NEAREST_TOL_M: f64 = 0.05;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(rel)
}

fn grid_path() -> PathBuf {
    data("helsinki/helsinki_population_grid_2020.geojson")
}

fn facilities_path() -> PathBuf {
    data("helsinki/helsinki_osm_facilities.geojson")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn reference() -> Value {
    let r = read_json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/reference/helsinki_demand_expected.json"),
    );
    assert_eq!(r["work_crs"], "EPSG:32635");
    assert_eq!(f(&r["total_population"]), TOTAL_POPULATION);
    assert_eq!(r["cells"], 92);
    r
}

fn f(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

/// A job over the demand layer at `demand`, every category at `radius_m`, the default curve
/// (100 to 3,000 m by 100 m).
fn job(demand: &Path, kind: &str, radius_m: f64) -> Job {
    let mut toml = format!(
        r#"
        [demand]
        path = "{}"
        weight = "population"
        kind = "{kind}"
        [facilities]
        path = "{}"
        category = "category"
        [analysis]
        work_crs = "EPSG:32635"
        [curve]
        "#,
        demand.display(),
        facilities_path().display(),
    );
    for name in CATEGORIES {
        toml.push_str(&format!(
            "[[category]]\nname = \"{name}\"\nradius_m = {radius_m}\nbasis = \"population\"\n"
        ));
    }
    let config = Config::from_toml(&toml, Path::new("helsinki.toml")).unwrap();
    Job::from_config(&config, Path::new(".")).unwrap()
}

/// The grid's cells in file order: id, population and the outer ring (lon/lat).
struct Cell {
    id: i64,
    population: f64,
    ring: Vec<[f64; 2]>,
}

fn grid() -> Vec<Cell> {
    let g = read_json(&grid_path());
    g["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|feat| {
            assert_eq!(feat["geometry"]["type"], "Polygon");
            let ring: Vec<[f64; 2]> = feat["geometry"]["coordinates"][0]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| [f(&c[0]), f(&c[1])])
                .collect();
            Cell {
                id: feat["properties"]["id"].as_i64().unwrap(),
                population: f(&feat["properties"]["population"]),
                ring,
            }
        })
        .collect()
}

/// Facility categories and lon/lat positions, in file order.
fn facilities() -> Vec<(String, [f64; 2])> {
    read_json(&facilities_path())["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|feat| {
            assert_eq!(feat["geometry"]["type"], "Point");
            let c = &feat["geometry"]["coordinates"];
            (
                feat["properties"]["category"].as_str().unwrap().to_string(),
                [f(&c[0]), f(&c[1])],
            )
        })
        .collect()
}

/// Facilities of `category` outside every grid cell, counted here in lon/lat. The nearest
/// facility lies 1.98 m from the grid's edge (shapely, in UTM), so the few millimetres by
/// which an edge straight in lon/lat and one straight in UTM part cannot change a count.
fn outside_grid(cells: &[Cell], category: &str) -> usize {
    let polygons: Vec<Polygon<f64>> = cells
        .iter()
        .map(|c| {
            Polygon::new(
                LineString::from(
                    c.ring
                        .iter()
                        .map(|&[x, y]| Coord { x, y })
                        .collect::<Vec<_>>(),
                ),
                vec![],
            )
        })
        .collect();
    facilities()
        .iter()
        .filter(|(c, _)| c == category)
        .filter(|(_, [x, y])| {
            let p = Point::new(*x, *y);
            !polygons
                .iter()
                .any(|poly| poly.contains(&p) || poly.intersects(&p))
        })
        .count()
}

fn category<'a>(analysis: &'a Analysis, name: &str) -> &'a lifecircle::pipeline::CategoryResult {
    analysis
        .categories
        .iter()
        .find(|c| c.summary.name == name)
        .unwrap_or_else(|| panic!("no category {name} in the analysis"))
}

/// The curve's value at `radius_m`.
fn curve_at(curve: &[[f64; 2]], radius_m: f64) -> f64 {
    curve
        .iter()
        .find(|p| p[0] == radius_m)
        .unwrap_or_else(|| panic!("the curve has no point at {radius_m} m"))[1]
}

/// Largest absolute difference seen, and where.
#[derive(Default)]
struct Worst(f64, String);

impl Worst {
    fn see(&mut self, diff: f64, at: impl FnOnce() -> String) {
        if diff > self.0 {
            *self = Worst(diff, at());
        }
    }
}

impl std::fmt::Display for Worst {
    fn fmt(&self, fm: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(fm, "{:.3e} ({})", self.0, self.1)
    }
}

#[test]
fn polygons_match_shapely_at_500_and_1000_m() {
    let reference = reference();
    let cells = grid();
    let [mut pop_cov, mut area_cov, mut share, mut nearest]: [Worst; 4] = Default::default();
    for radius in [500.0, 1000.0] {
        let started = Instant::now();
        let analysis = analyse(&job(&grid_path(), "polygons", radius)).unwrap();
        eprintln!(
            "polygons mode, 92 cells, 4 categories at {radius} m with the 30-radius curve: \
             analyse took {:.3} s",
            started.elapsed().as_secs_f64()
        );
        assert_eq!(analysis.work_crs.to_string(), "EPSG:32635");
        let inputs = analysis.inputs.demand.as_ref().unwrap();
        assert_eq!(inputs.kind, DemandKind::Polygons);
        assert_eq!(inputs.features, 92);
        assert_eq!(inputs.weight_field, "population");
        assert_eq!(inputs.weight, TOTAL_POPULATION);
        assert!(inputs.repaired.is_empty() && inputs.skipped.is_empty());
        assert!(analysis.communities.is_empty());
        assert!(analysis.warnings.is_empty(), "{:?}", analysis.warnings);
        // 26 of the 87 facilities lie outside the grid (the OSM extract and the grid
        // overlap only in part): market 12, fitness 10, health 4, education 0.
        assert_eq!(analysis.inputs.facilities.features, 87);
        assert_eq!(analysis.inputs.facilities.outside_communities, 26);
        assert_eq!(
            CATEGORIES
                .iter()
                .map(|&c| outside_grid(&cells, c))
                .sum::<usize>(),
            26
        );
        // Demand features in input order, with the grid's ids.
        assert_eq!(analysis.demand.len(), cells.len());
        for (d, cell) in analysis.demand.iter().zip(&cells) {
            assert_eq!(d.id, cell.id.to_string());
            assert_eq!(d.weight, cell.population);
        }

        let r = radius as u64;
        for name in CATEGORIES {
            let at = format!("{name} at {radius} m");
            let expected = &reference["categories"][name];
            let cat = category(&analysis, name);
            let s = &cat.summary;
            assert_eq!(s.radius_m, radius, "{at}");
            assert_eq!(s.basis, Basis::Population, "{at}");
            assert_eq!(s.communities, 0, "{at}: no community layer");
            assert_eq!(s.communities_served_share, None, "{at}");
            assert_eq!(
                s.facilities as u64,
                expected["facilities"].as_u64().unwrap()
            );
            assert_eq!(
                s.facilities_outside,
                outside_grid(&cells, name),
                "{at}: facilities outside the grid"
            );
            assert!(
                s.population_basis
                    .as_deref()
                    .unwrap()
                    .contains("92 polygons"),
                "{at}: {:?}",
                s.population_basis
            );
            let totals = &expected["polygons"][r.to_string()];
            assert_eq!(s.population, Some(TOTAL_POPULATION), "{at}");
            assert_eq!(f(&totals["population_total"]), TOTAL_POPULATION);

            let got = s.population_coverage.unwrap();
            let want = f(&totals["population_coverage"]);
            pop_cov.see((got - want).abs(), || at.clone());
            assert!(
                (got - want).abs() < TOTAL_TOL,
                "{at}: population coverage {got} vs {want}"
            );
            assert_eq!(s.coverage, got, "{at}: coverage is on the population basis");
            // The population covered is the same figure times 71,724.
            let covered = s.population_covered.unwrap();
            assert!(
                (covered - f(&totals["population_covered"])).abs() < TOTAL_TOL * TOTAL_POPULATION,
                "{at}: population covered {covered} vs {}",
                totals["population_covered"]
            );

            let got = s.area_coverage.unwrap();
            let want = f(&totals["area_coverage"]);
            area_cov.see((got - want).abs(), || at.clone());
            assert!(
                (got - want).abs() < TOTAL_TOL,
                "{at}: area coverage {got} vs {want}"
            );

            // The curve passes through the run's own figure (true circles against the
            // run's equal-area 128-gons: see CURVE_VS_RUN_TOL).
            assert!(
                (curve_at(&s.curve, radius) - s.population_coverage.unwrap()).abs()
                    < CURVE_VS_RUN_TOL,
                "{at}: curve {} vs run {:?}",
                curve_at(&s.curve, radius),
                s.population_coverage
            );

            // Per cell, in input order.
            let rows = expected["cells"].as_array().unwrap();
            assert_eq!(rows.len(), cat.demand.len());
            for ((row, d), cell) in rows.iter().zip(&cat.demand).zip(&cells) {
                assert_eq!(row["id"].as_i64().unwrap(), cell.id);
                let want = f(&row[format!("share_{r}")]).min(1.0);
                share.see((d.covered - want).abs(), || {
                    format!("{at}, cell {}", cell.id)
                });
                assert!(
                    (d.covered - want).abs() < CELL_TOL,
                    "{at}: cell {} covered share {} vs {want}",
                    cell.id,
                    d.covered
                );
                let want = f(&row["nearest_m"]);
                let got = d.nearest_m.unwrap();
                nearest.see((got - want).abs(), || format!("{name}, cell {}", cell.id));
                assert!(
                    (got - want).abs() < NEAREST_TOL_M,
                    "{at}: cell {} nearest {got} vs {want}",
                    cell.id
                );
            }
        }
    }
    eprintln!("polygons, max |difference| from shapely:");
    eprintln!("  population coverage {pop_cov}");
    eprintln!("  area coverage       {area_cov}");
    eprintln!("  cell covered share  {share}");
    eprintln!("  cell nearest_m      {nearest} m");
}

#[test]
fn polygon_curve_matches_shapely() {
    let reference = reference();
    // The curve does not depend on the configured radius: one run gives it all.
    let analysis = analyse(&job(&grid_path(), "polygons", 500.0)).unwrap();
    let mut worst = Worst::default();
    for name in CATEGORIES {
        let s = &category(&analysis, name).summary;
        assert_eq!(s.curve_basis, Some(Basis::Population), "{name}");
        let expected = reference["categories"][name]["polygons"]["curve"]
            .as_array()
            .unwrap();
        assert_eq!(s.curve.len(), expected.len(), "{name}: curve length");
        assert_eq!(s.curve.len(), 30);
        for (got, want) in s.curve.iter().zip(expected) {
            assert_eq!(got[0], f(&want[0]), "{name}: curve radii");
            let w = f(&want[1]).min(1.0);
            worst.see((got[1] - w).abs(), || format!("{name} at {} m", got[0]));
            assert!(
                (got[1] - w).abs() < TOTAL_TOL,
                "{name}: curve at {} m: {} vs {w}",
                got[0],
                got[1]
            );
        }
        // Coverage never falls as the radius grows.
        assert!(s.curve.windows(2).all(|w| w[1][1] >= w[0][1]), "{name}");
    }
    eprintln!("polygons curve, max |difference| from shapely: {worst}");
}

/// A run at radius r reports the coverage the curve shows at r: the curve is a sweep of the
/// same measurement, not an approximation of it.
#[test]
fn the_curve_agrees_with_runs_at_its_radii() {
    let base = analyse(&job(&grid_path(), "polygons", 1000.0)).unwrap();
    for radius in [800.0, 1300.0] {
        let run = analyse(&job(&grid_path(), "polygons", radius)).unwrap();
        for name in CATEGORIES {
            let curve = &category(&base, name).summary.curve;
            let s = &category(&run, name).summary;
            let got = s.population_coverage.unwrap();
            let want = curve_at(curve, radius);
            assert!(
                (got - want).abs() < CURVE_VS_RUN_TOL,
                "{name}: run at {radius} m gives {got}, the curve {want}"
            );
            // And the curve itself is the same whatever radius the run was set to.
            assert_eq!(&s.curve, curve, "{name}: curve from the {radius} m run");
        }
    }
}

/// Writes each cell's centre as a Point feature carrying the cell's id and population.
///
/// The centre is the average of the cell's four corners in lon/lat. The reference takes the
/// centroid of the cell projected to UTM 35N; the cells are near-perfect parallelograms in
/// both, so the two points differ by at most 2.1 mm over the 92 cells (measured with pyproj
/// and shapely), far inside the distance tolerance and far from any radius (below).
fn write_centres(cells: &[Cell], path: &Path) {
    let features: Vec<Value> = cells
        .iter()
        .map(|c| {
            assert_eq!(c.ring.len(), 5, "cell {}: a closed ring of 4 corners", c.id);
            assert_eq!(c.ring[0], c.ring[4], "cell {}: ring not closed", c.id);
            let (x, y) = c.ring[..4]
                .iter()
                .fold((0.0, 0.0), |(x, y), p| (x + p[0] / 4.0, y + p[1] / 4.0));
            json!({
                "type": "Feature",
                "properties": {"id": c.id, "population": c.population},
                "geometry": {"type": "Point", "coordinates": [x, y]},
            })
        })
        .collect();
    let fc = json!({"type": "FeatureCollection", "features": features});
    std::fs::write(path, serde_json::to_string(&fc).unwrap()).unwrap();
}

/// Points are in or out: coverage is a sum of whole populations and must match exactly,
/// except where a centre lies so close to a radius that the 2 mm between the two centres
/// (or the two PROJ builds) could put it on the other side. The reference's nearest
/// distances keep at least 28 mm from every multiple of 100 m, so this never happens with
/// this data; the margin below is there so the test stays honest if the data changes.
const POINT_MARGIN_M: f64 = 0.01;

#[test]
fn points_match_shapely() {
    let reference = reference();
    let cells = grid();
    let dir = tempfile::tempdir().unwrap();
    let centres = dir.path().join("helsinki_cell_centres.geojson");
    write_centres(&cells, &centres);

    // Population within the margin of radius r, for category `name`: how far a coverage at
    // r may be off.
    let ambiguous = |name: &str, r: f64| -> f64 {
        reference["categories"][name]["cells"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&cells)
            .filter(|(row, _)| (f(&row["nearest_m"]) - r).abs() < POINT_MARGIN_M)
            .map(|(_, c)| c.population)
            .sum::<f64>()
            / TOTAL_POPULATION
    };

    let mut nearest = Worst::default();
    let mut coverage = Worst::default();
    let mut first_curve: Option<Vec<Vec<[f64; 2]>>> = None;
    for radius in [500.0, 1000.0] {
        let analysis = analyse(&job(&centres, "points", radius)).unwrap();
        let inputs = analysis.inputs.demand.as_ref().unwrap();
        assert_eq!(inputs.kind, DemandKind::Points);
        assert_eq!(inputs.features, 92);
        assert_eq!(inputs.weight, TOTAL_POPULATION);
        for (d, cell) in analysis.demand.iter().zip(&cells) {
            assert_eq!(d.id, cell.id.to_string());
        }
        let r = radius as u64;
        let mut curves = Vec::new();
        for name in CATEGORIES {
            let at = format!("points, {name} at {radius} m");
            let expected = &reference["categories"][name];
            let cat = category(&analysis, name);
            let s = &cat.summary;
            assert_eq!(s.population, Some(TOTAL_POPULATION), "{at}");
            assert_eq!(s.area_coverage, None, "{at}: points have no area");
            assert!(
                s.population_basis.as_deref().unwrap().contains("92 points"),
                "{at}: {:?}",
                s.population_basis
            );
            // Points make no study area, so no facility lies outside it.
            assert_eq!(s.facilities_outside, 0, "{at}");

            let got = s.population_coverage.unwrap();
            let want = f(&expected["points"][r.to_string()]);
            coverage.see((got - want).abs(), || at.clone());
            assert!(
                (got - want).abs() <= ambiguous(name, radius) + 1e-12,
                "{at}: population coverage {got} vs {want}"
            );

            for ((row, d), cell) in expected["cells"]
                .as_array()
                .unwrap()
                .iter()
                .zip(&cat.demand)
                .zip(&cells)
            {
                let want = f(&row["nearest_m"]);
                let got = d.nearest_m.unwrap();
                nearest.see((got - want).abs(), || format!("{name}, cell {}", cell.id));
                assert!(
                    (got - want).abs() < NEAREST_TOL_M,
                    "{at}: cell {} nearest {got} vs {want}",
                    cell.id
                );
                // In or out, as its own distance says, and as the reference's does (away
                // from the boundary).
                assert_eq!(d.covered, f64::from(u8::from(got <= radius)), "{at}");
                if (want - radius).abs() >= POINT_MARGIN_M {
                    assert_eq!(d.covered, f64::from(u8::from(want <= radius)), "{at}");
                }
            }

            assert_eq!(s.curve_basis, Some(Basis::Population), "{at}");
            let expected_curve = expected["points"]["curve"].as_array().unwrap();
            assert_eq!(s.curve.len(), expected_curve.len(), "{at}");
            for (got, want) in s.curve.iter().zip(expected_curve) {
                assert_eq!(got[0], f(&want[0]), "{at}: curve radii");
                let w = f(&want[1]);
                coverage.see((got[1] - w).abs(), || {
                    format!("{at}, curve at {} m", got[0])
                });
                assert!(
                    (got[1] - w).abs() <= ambiguous(name, got[0]) + 1e-12,
                    "{at}: curve at {} m: {} vs {w}",
                    got[0],
                    got[1]
                );
            }
            assert_eq!(curve_at(&s.curve, radius), got, "{at}: curve vs run");
            curves.push(s.curve.clone());
        }
        match &first_curve {
            None => first_curve = Some(curves),
            Some(c) => assert_eq!(c, &curves, "the curve does not depend on the radius"),
        }
    }
    eprintln!("points, max |difference| from shapely:");
    eprintln!("  population coverage (runs and curve) {coverage}");
    eprintln!("  nearest_m                            {nearest} m");
}
