//! A hand-made district where every answer is worked by hand: demand points and polygons,
//! coverage curves, life-circle levels, ratio indicators and groups.
//!
//! Two 1,000 m square communities side by side (UTM 50N metres, local coordinates):
//! A = (0,0)-(1000,1000), street "north", 1,500 residents, 600 households;
//! B = (1000,0)-(2000,1000), street "south", 1,000 residents, 400 households.

mod common;

use std::f64::consts::PI;
use std::path::Path;

use common::{collection, square, Case, X0, Y0};
use lifecircle::{analyse, Analysis, Config, Job};
use serde_json::{json, Value};

fn communities() -> Value {
    let c = |id: &str, x: f64, street: &str, pop: f64, hh: f64, workers: f64, orgs: f64| {
        json!({"type": "Feature",
               "properties": {"id": id, "street": street, "population": pop, "households": hh,
                              "workers": workers, "social_orgs": orgs},
               "geometry": {"type": "Polygon", "coordinates": [square(x, 0.0, 1000.0, 1000.0)]}})
    };
    collection(vec![
        c("A", 0.0, "north", 1500.0, 600.0, 3.0, 12.0),
        c("B", 1000.0, "south", 1000.0, 400.0, 1.0, 2.0),
    ])
}

fn point(id: &str, x: f64, y: f64, props: Value) -> Value {
    let mut p = props;
    p["id"] = json!(id);
    json!({"type": "Feature", "properties": p,
           "geometry": {"type": "Point", "coordinates": [X0 + x, Y0 + y]}})
}

/// A market on A's west edge, a health station at B's centre, three service centres.
fn facilities() -> Value {
    collection(vec![
        point("m", 0.0, 500.0, json!({"category": "market"})),
        point("h", 1500.0, 500.0, json!({"category": "health"})),
        point(
            "s1",
            500.0,
            500.0,
            json!({"category": "service_centre", "floor_area_m2": 200}),
        ),
        point(
            "s2",
            600.0,
            600.0,
            json!({"category": "service_centre", "floor_area_m2": 100}),
        ),
        point(
            "s3",
            1500.0,
            800.0,
            json!({"category": "service_centre", "floor_area_m2": 100}),
        ),
    ])
}

/// Runs a config; `layers` gives the layer sections (paths filled in by name).
fn run(case: &Case, toml: &str) -> lifecircle::Result<Analysis> {
    let config = Config::from_toml(toml, Path::new("t.toml"))?;
    analyse(&Job::from_config(&config, case.dir.path())?)
}

fn layers(case: &Case, demand: Option<&Value>) -> String {
    let c = case.write("c.geojson", &communities());
    let f = case.write("f.geojson", &facilities());
    let mut text = format!(
        "[communities]\npath = '{}'\ncrs = 'EPSG:32650'\ngroup = 'street'\n\n\
         [facilities]\npath = '{}'\ncrs = 'EPSG:32650'\n\n",
        c.display(),
        f.display()
    );
    if let Some(d) = demand {
        let d = case.write("d.geojson", d);
        text.push_str(&format!(
            "[demand]\npath = '{}'\ncrs = 'EPSG:32650'\n\n",
            d.display()
        ));
    }
    text
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Four demand points: p1 99.5 m from the market, p2 899.5 m, p3 100 m from the health
/// station (1,503 m from the market), p4 outside both communities.
fn demand_points() -> Value {
    collection(vec![
        point("p1", 99.5, 500.0, json!({"population": 100})),
        point("p2", 899.5, 500.0, json!({"population": 300})),
        point("p3", 1500.0, 600.0, json!({"population": 50})),
        point("p4", 3000.0, 500.0, json!({"population": 1000})),
    ])
}

#[test]
fn demand_points_count_their_weight_within_reach() {
    let case = Case::new();
    let toml = layers(&case, Some(&demand_points()))
        + "[[category]]\nname = 'market'\nradius_m = 500\n\
           [[category]]\nname = 'health'\nradius_m = 300\n";
    let a = run(&case, &toml).unwrap();
    let d = a.inputs.demand.as_ref().unwrap();
    assert_eq!(d.outside_communities, Some(1));
    assert_eq!(d.outside_weight, Some(1000.0));
    assert!(a
        .warnings
        .iter()
        .any(|w| w.to_string().contains("outside every community")));

    // Market at 500 m: p1 only, 100 of the 450 people inside the communities.
    let market = &a.categories[0];
    let s = &market.summary;
    assert_eq!(s.population, Some(450.0));
    assert_eq!(s.population_covered, Some(100.0));
    assert!(close(s.population_coverage.unwrap(), 100.0 / 450.0, 1e-12));
    assert!(s.population_basis.as_deref().unwrap().contains("4 points"));
    // Per community: A holds p1 and p2, B holds p3.
    assert_eq!(market.communities[0].population, Some(400.0));
    assert_eq!(market.communities[0].population_covered, Some(100.0));
    assert_eq!(market.communities[1].population_covered, Some(0.0));
    // Per demand point: nearest distance and covered.
    let nearest: Vec<f64> = market.demand.iter().map(|c| c.nearest_m.unwrap()).collect();
    assert!(close(nearest[0], 99.5, 1e-6) && close(nearest[1], 899.5, 1e-6));
    assert!(close(
        nearest[2],
        (1500f64.powi(2) + 100f64.powi(2)).sqrt(),
        1e-6
    ));
    let covered: Vec<f64> = market.demand.iter().map(|c| c.covered).collect();
    assert_eq!(covered, vec![1.0, 0.0, 0.0, 0.0]);
    // Area coverage still comes from the communities: the half disc of 500 m in A.
    assert!(close(
        s.area_coverage.unwrap(),
        PI * 500.0 * 500.0 / 2.0 / 2e6,
        1e-5
    ));

    // Health at 300 m: p3 only.
    assert!(close(
        a.categories[1].summary.population_coverage.unwrap(),
        50.0 / 450.0,
        1e-12
    ));

    // The curve: p1 from 100 m (it is 99.5 m away), p2 from 900 m (899.5), p3 from 1,600 m (1,503).
    // (Layers go through lon/lat and back, so a point exactly on a radius is not tested.)
    let curve = &s.curve;
    let at = |r: f64| curve.iter().find(|p| p[0] == r).unwrap()[1];
    assert!(close(at(100.0), 100.0 / 450.0, 1e-12));
    assert!(close(at(800.0), 100.0 / 450.0, 1e-12));
    assert!(close(at(900.0), 400.0 / 450.0, 1e-12));
    assert!(close(at(1500.0), 400.0 / 450.0, 1e-12));
    assert_eq!(at(1600.0), 1.0);

    // Groups: north holds p1, p2; south holds p3.
    let north = a.groups.iter().find(|g| g.group == "north").unwrap();
    assert!(close(
        north.categories[0].population_coverage.unwrap(),
        0.25,
        1e-12
    ));
    let south = a.groups.iter().find(|g| g.group == "south").unwrap();
    assert_eq!(south.categories[0].population_coverage, Some(0.0));
    assert_eq!(south.categories[1].population_coverage, Some(1.0));
}

/// A 200 m cell of 400 people straddles A and B; a 100 m market circle centred on their
/// shared edge lies inside the cell, covering pi/4 of it. A second cell of 100 people is
/// half outside B. So 450 people are inside the communities and 400 x pi/4 are covered.
#[test]
fn demand_polygons_are_split_over_communities_by_area() {
    let case = Case::new();
    let cell = |id: &str, x: f64, y: f64, pop: f64| {
        json!({"type": "Feature", "properties": {"id": id, "population": pop},
               "geometry": {"type": "Polygon", "coordinates": [square(x, y, 200.0, 200.0)]}})
    };
    let demand = collection(vec![
        cell("straddle", 900.0, 400.0, 400.0),
        cell("edge", 1900.0, 0.0, 100.0),
    ]);
    let f = case.write(
        "f.geojson",
        &collection(vec![point(
            "m",
            1000.0,
            500.0,
            json!({"category": "market"}),
        )]),
    );
    let c = case.write("c.geojson", &communities());
    let d = case.write("d.geojson", &demand);
    let toml = format!(
        "[communities]\npath = '{}'\ncrs = 'EPSG:32650'\n[facilities]\npath = '{}'\n\
         crs = 'EPSG:32650'\n[demand]\npath = '{}'\ncrs = 'EPSG:32650'\nkind = 'polygons'\n\
         [[category]]\nname = 'market'\nradius_m = 100\n[output]\nmin_gap_area_m2 = 0\n",
        c.display(),
        f.display(),
        d.display()
    );
    let a = run(&case, &toml).unwrap();
    let inputs = a.inputs.demand.as_ref().unwrap();
    assert_eq!(
        inputs.outside_communities,
        Some(0),
        "no cell wholly outside"
    );
    assert!(close(inputs.outside_weight.unwrap(), 50.0, 0.05));
    let cat = &a.categories[0];
    let covered = 400.0 * PI / 4.0;
    let s = &cat.summary;
    assert!(close(s.population.unwrap(), 450.0, 1e-6));
    assert!(close(s.population_covered.unwrap(), covered, 0.05));
    // Per community: half the straddling cell each, half the circle each.
    assert!(close(cat.communities[0].population.unwrap(), 200.0, 1e-6));
    assert!(close(
        cat.communities[0].population_covered.unwrap(),
        covered / 2.0,
        0.05
    ));
    assert!(close(cat.communities[1].population.unwrap(), 250.0, 1e-6));
    // The straddling cell is pi/4 covered; its nearest facility is at its centre.
    assert!(close(cat.demand[0].covered, PI / 4.0, 1e-4));
    assert!(close(cat.demand[0].nearest_m.unwrap(), 0.0, 1e-6));
    assert_eq!(cat.demand[1].covered, 0.0);
    // A's gap holds the uncovered part of the cell's west half: 200 - covered/2 people.
    let a_gaps: f64 = cat
        .gaps
        .iter()
        .filter(|g| g.owner == lifecircle::pipeline::Owner::Community(0))
        .map(|g| g.population.unwrap())
        .sum();
    assert!(close(a_gaps, 200.0 - covered / 2.0, 0.05), "{a_gaps}");
}

/// Levels on the even spread: at 1,600 m, A is held whole by both the market and the
/// health circle (its farthest corners are 1,118 m and 1,581 m away); B is held whole by
/// the health circle and partly by the market's, so B's complete part is the market's
/// part. At 500 m nothing is complete: the market covers 39% of A (under the 50% served
/// threshold), the health circle 78.5% of B.
#[test]
fn levels_report_completeness() {
    let case = Case::new();
    let toml = layers(&case, None)
        + "[[category]]\nname = 'market'\nradius_m = 500\n\
           [[level]]\nname = 'near'\nradius_m = 500\ncategories = ['market', 'health']\n\
           [[level]]\nname = 'far'\nradius_m = 1600\ncategories = ['market', 'health']\n\
           target = 0.9\n";
    let a = run(&case, &toml).unwrap();
    let near = &a.levels[0];
    assert_eq!(near.communities[0].within, vec![false, false]);
    assert_eq!(near.communities[1].within, vec![false, true]);
    assert_eq!(near.summary.places_complete, 0);
    assert_eq!(near.summary.places_missing["market"], 2);
    assert_eq!(near.summary.places_missing["health"], 1);
    assert_eq!(near.summary.complete_share, 0.0);

    // B's share within 1,600 m of the market at (0, 500), by a fine grid count.
    let n = 1000;
    let mut inside = 0;
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (
                1000.0 + (i as f64 + 0.5) * 1000.0 / n as f64,
                (j as f64 + 0.5) * 1000.0 / n as f64,
            );
            if x.hypot(y - 500.0) <= 1600.0 {
                inside += 1;
            }
        }
    }
    let b_share = inside as f64 / (n * n) as f64;
    let far = &a.levels[1];
    assert!(far.communities[0].complete());
    assert_eq!(far.communities[0].complete_share, 1.0);
    assert!(
        far.communities[1].complete(),
        "B is served by both at 1,600 m"
    );
    assert!(close(far.communities[1].complete_share, b_share, 1e-3));
    let expected = (1500.0 + 1000.0 * b_share) / 2500.0;
    let s = &far.summary;
    assert_eq!(s.basis, lifecircle::Basis::Population);
    assert!(
        close(s.complete_share, expected, 1e-3),
        "{}",
        s.complete_share
    );
    assert_eq!(s.places_complete, 2);
    assert_eq!(s.meets_target, Some(expected >= 0.9));
    // Per group.
    let south = a.groups.iter().find(|g| g.group == "south").unwrap();
    assert!(close(south.levels[1].complete_share, b_share, 1e-3));
}

/// With demand points, a complete circle is where a point has every category in reach:
/// at 1,600 m all three points inside the communities (p1: market 99.5 m, health 1,400 m;
/// p2: 899.5 m and 600.5 m; p3: 1,503 m and 100 m).
#[test]
fn levels_on_demand_points() {
    let case = Case::new();
    let toml = layers(&case, Some(&demand_points()))
        + "[[category]]\nname = 'market'\nradius_m = 500\n\
           [[level]]\nname = 'far'\nradius_m = 1600\ncategories = ['market', 'health']\n\
           [[level]]\nname = 'mid'\nradius_m = 1000\ncategories = ['market', 'health']\n";
    let a = run(&case, &toml).unwrap();
    assert_eq!(a.levels[0].summary.complete_share, 1.0);
    assert_eq!(a.levels[0].summary.population_complete, Some(450.0));
    // At 1,000 m only p2 (300 people) has both.
    let mid = &a.levels[1];
    assert!(close(mid.summary.complete_share, 300.0 / 450.0, 1e-12));
    let complete: Vec<f64> = mid.demand.iter().map(|l| l.complete_share).collect();
    assert_eq!(complete, vec![0.0, 1.0, 0.0, 0.0]);
    assert_eq!(
        mid.demand[0].missing(&["market".into(), "health".into()]),
        vec!["health"]
    );
}

const INDICATORS: &str = "
[[indicator]]
name = 'space'
numerator = { sum = 'floor_area_m2', category = 'service_centre' }
denominator = 'households'
scale = 100
at_least = 30

[[indicator]]
name = 'workers'
numerator = { field = 'workers' }
denominator = 'population'
scale = 10000
at_least = 18

[[indicator]]
name = 'orgs'
numerator = { field = 'social_orgs' }
at_least = 12
when = { field = 'households', at_least = 500 }

[[indicator]]
name = 'centres'
numerator = { count = 'service_centre' }
at_least = 1
";

/// A: (200 + 100) m2 / 600 households x 100 = 50 (meets 30); B: 100 / 400 x 100 = 25.
/// Workers: A 3 / 1,500 x 10,000 = 20 (meets 18); B 10. Organisations: A 12 (meets 12);
/// B has 400 households, so it is not judged. Service centres: 2 and 1.
#[test]
fn indicators_are_judged_per_community() {
    let case = Case::new();
    let toml = layers(&case, None) + "[[category]]\nname = 'market'\nradius_m = 500\n" + INDICATORS;
    let a = run(&case, &toml).unwrap();
    let values = |k: usize| -> Vec<Option<f64>> {
        a.indicators
            .iter()
            .map(|i| i.communities[k].value)
            .collect()
    };
    assert_eq!(
        values(0),
        vec![Some(50.0), Some(20.0), Some(12.0), Some(2.0)]
    );
    assert_eq!(
        values(1),
        vec![Some(25.0), Some(10.0), Some(2.0), Some(1.0)]
    );
    let meets: Vec<Option<bool>> = a
        .indicators
        .iter()
        .map(|i| i.communities[1].meets)
        .collect();
    assert_eq!(meets, vec![Some(false), Some(false), None, Some(true)]);
    let space = &a.indicators[0].summary;
    assert_eq!((space.judged, space.meeting), (2, 1));
    assert_eq!(space.share_meeting, Some(0.5));
    assert_eq!(space.meets_target, Some(false));
    let orgs = &a.indicators[2].summary;
    assert_eq!((orgs.judged, orgs.not_applicable, orgs.meeting), (1, 1, 1));
    assert_eq!(orgs.meets_target, Some(true));
    assert_eq!(orgs.condition.as_deref(), Some("households >= 500"));
    // Per group: south fails the space indicator, north passes.
    let south = a.groups.iter().find(|g| g.group == "south").unwrap();
    assert_eq!(south.indicators[0].meets_target, Some(false));
    let north = a.groups.iter().find(|g| g.group == "north").unwrap();
    assert_eq!(north.indicators[0].meets_target, Some(true));
}

/// A facility's community field overrides where it lies: s1 (in A) assigned to B moves
/// 200 m2 to B: A 100/600 x 100 = 16.7, B 300/400 x 100 = 75.
#[test]
fn a_community_field_assigns_facilities() {
    let case = Case::new();
    let mut f = facilities();
    f["features"][2]["properties"]["community"] = json!("B");
    let c = case.write("c.geojson", &communities());
    let fpath = case.write("f.geojson", &f);
    let toml = format!(
        "[communities]\npath = '{}'\ncrs = 'EPSG:32650'\n[facilities]\npath = '{}'\n\
         crs = 'EPSG:32650'\ncommunity = 'community'\n\
         [[category]]\nname = 'market'\nradius_m = 500\n{INDICATORS}",
        c.display(),
        fpath.display()
    );
    let a = run(&case, &toml).unwrap();
    let space = &a.indicators[0];
    assert!(close(
        space.communities[0].value.unwrap(),
        100.0 / 6.0,
        1e-9
    ));
    assert_eq!(space.communities[1].value, Some(75.0));

    // Naming a community that does not exist is an error naming the facility.
    f["features"][2]["properties"]["community"] = json!("Z");
    case.write("f.geojson", &f);
    let err = run(&case, &toml).unwrap_err().to_string();
    assert!(
        err.contains("feature 2 (id \"s1\")")
            && err.contains("is assigned to community \"Z\", which is not in the community layer"),
        "{err}"
    );
}

#[test]
fn indicator_and_demand_errors_name_the_feature() {
    let case = Case::new();
    // A community lacking the numerator field.
    let mut c = communities();
    c["features"][1]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("workers");
    case.write("c.geojson", &c);
    let base = layers(&case, None);
    // layers() rewrote c.geojson; write the broken one again after it.
    case.write("c.geojson", &c);
    let err = run(
        &case,
        &(base + "[[category]]\nname = 'market'\nradius_m = 500\n" + INDICATORS),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("c.geojson: feature 1 (id \"B\"): field \"workers\" is missing or null"),
        "{err}"
    );

    // A demand point without a weight, and a layer mixing points and polygons.
    let case = Case::new();
    let mut d = demand_points();
    d["features"][2]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("population");
    let toml = layers(&case, Some(&d)) + "[[category]]\nname = 'market'\nradius_m = 500\n";
    let err = run(&case, &toml).unwrap_err().to_string();
    assert!(
        err.contains("d.geojson: feature 2 (id \"p3\"): field \"population\" is missing or null"),
        "{err}"
    );
    let mut d = demand_points();
    d["features"][1]["geometry"] =
        json!({"type": "Polygon", "coordinates": [square(0.0, 0.0, 10.0, 10.0)]});
    let toml = layers(&case, Some(&d)) + "[[category]]\nname = 'market'\nradius_m = 500\n";
    let err = run(&case, &toml).unwrap_err().to_string();
    assert!(
        err.contains("feature 1 (id \"p2\")") && err.contains("points or polygons, not both"),
        "{err}"
    );
}

/// Without communities, the demand layer is the study area: figures are per demand
/// feature, and the gaps are the uncovered demand points.
#[test]
fn demand_alone_needs_no_communities() {
    let case = Case::new();
    let d = case.write("d.geojson", &demand_points());
    let f = case.write("f.geojson", &facilities());
    let toml = format!(
        "[demand]\npath = '{}'\ncrs = 'EPSG:32650'\n[facilities]\npath = '{}'\n\
         crs = 'EPSG:32650'\n[[category]]\nname = 'market'\nradius_m = 500\n",
        d.display(),
        f.display()
    );
    let a = run(&case, &toml).unwrap();
    assert!(a.communities.is_empty());
    let s = &a.categories[0].summary;
    assert_eq!(s.population, Some(1450.0));
    assert!(close(s.coverage, 100.0 / 1450.0, 1e-12));
    assert_eq!(s.area_coverage, None);
    assert_eq!(s.communities_served_share, None);
    let gaps: Vec<f64> = a.categories[0]
        .gaps
        .iter()
        .map(|g| g.population.unwrap())
        .collect();
    assert_eq!(gaps, vec![1000.0, 300.0, 50.0], "largest first");

    // An area basis has nothing to measure on points alone.
    let err = run(
        &case,
        &toml.replace("radius_m = 500\n", "radius_m = 500\nbasis = 'area'\n"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("demand points alone have no area"), "{err}");
}
