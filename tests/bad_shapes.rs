//! Known bad shapes for the geometry stack (geo's BooleanOps and `unary_union`, on
//! i_overlay), fed through lifecircle end to end and through `measure_place` directly.
//!
//! Each case runs on its own thread and is waited for with a timeout: a hang fails the test
//! with the case's name instead of stalling the suite. A case passes when lifecircle returns
//! sane numbers (shares in 0..1, covered plus gap area equal to the community's area) or an
//! error that names the offending community.
//!
//! The shapes come from reports against the geometry libraries (named in each test) and
//! from generic hazards of hand-drawn boundaries and projected coordinates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use geo::{Area, Coord, LineString, MultiPolygon, Polygon};
use lifecircle::index::FacilityIndex;
use lifecircle::measure::{measure_place, Coverage};
use lifecircle::reach::circles::{Circles, StraightLine};
use lifecircle::reach::Place;
use lifecircle::{analyse, Analysis, Config, DistanceModel, Job};
use serde_json::{json, Value};

/// How long one case may take before it counts as a hang.
const TIMEOUT: Duration = Duration::from_secs(60);

/// UTM zone 50N metres near Tianjin, as in the regression tests.
const X0: f64 = 560_000.0;
const Y0: f64 = 4_320_000.0;

/// Runs `f` on a thread of its own; `Err` names the case if it panics or does not finish
/// within [`TIMEOUT`]. A thread that hangs is left behind (it cannot be stopped from
/// outside); the test fails and the process ends with the test binary.
fn within_time<T: Send + 'static>(
    case: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = mpsc::channel();
    let name = case.to_string();
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(out);
        })
        .expect("spawn a case thread");
    match rx.recv_timeout(TIMEOUT) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(panic)) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".into());
            Err(format!("{name}: panicked out of lifecircle: {msg}"))
        }
        Err(_) => Err(format!(
            "{name}: did not finish within {} s (hang)",
            TIMEOUT.as_secs()
        )),
    }
}

// ---------------------------------------------------------------------------------------
// End to end: GeoJSON layers in a temporary folder, a configuration, `analyse`.
// ---------------------------------------------------------------------------------------

/// A run: communities (id, GeoJSON geometry) and market points in `crs`, one category.
struct Layers {
    crs: &'static str,
    work_crs: Option<&'static str>,
    communities: Vec<(&'static str, Value)>,
    markets: Vec<[f64; 2]>,
    radius_m: f64,
}

/// What a successful run measured: the communities' area and each one's covered share.
struct Figures {
    area_m2: f64,
    shares: Vec<f64>,
}

fn run_layers(layers: Layers) -> lifecircle::Result<Analysis> {
    let dir = tempfile::tempdir().unwrap();
    let communities = json!({
        "type": "FeatureCollection",
        "features": layers.communities.iter().map(|(id, g)| json!({
            "type": "Feature",
            "properties": {"id": id, "population": 100},
            "geometry": g,
        })).collect::<Vec<_>>(),
    });
    let facilities = json!({
        "type": "FeatureCollection",
        "features": layers.markets.iter().enumerate().map(|(i, p)| json!({
            "type": "Feature",
            "properties": {"id": format!("m{i}"), "category": "market"},
            "geometry": {"type": "Point", "coordinates": p},
        })).collect::<Vec<_>>(),
    });
    let c = dir.path().join("communities.geojson");
    let f = dir.path().join("facilities.geojson");
    std::fs::write(&c, communities.to_string()).unwrap();
    std::fs::write(&f, facilities.to_string()).unwrap();
    let work = layers
        .work_crs
        .map(|w| format!("work_crs = \"{w}\"\n"))
        .unwrap_or_default();
    // Every gap is kept (no sliver filter), so covered + gaps must add up to the area.
    let toml = format!(
        "[communities]\npath = \"{}\"\ncrs = \"{crs}\"\n\
         [facilities]\npath = \"{}\"\ncrs = \"{crs}\"\n\
         [analysis]\n{work}\
         [[category]]\nname = \"market\"\nradius_m = {}\n\
         [output]\nmin_gap_area_m2 = 0\n",
        c.display(),
        f.display(),
        layers.radius_m,
        crs = layers.crs,
    );
    let config = Config::from_toml(&toml, Path::new("bad_shapes.toml"))?;
    analyse(&Job::from_config(&config, dir.path())?)
}

/// Runs the layers with a timeout and checks the outcome: sane figures, or an error naming
/// one of the communities. Returns the figures when the run succeeded.
fn end_to_end(case: &str, layers: Layers) -> Option<Figures> {
    let ids: Vec<&'static str> = layers.communities.iter().map(|(id, _)| *id).collect();
    let outcome = within_time(case, move || run_layers(layers)).unwrap();
    match outcome {
        Ok(a) => Some(check_analysis(case, &a)),
        Err(e) => {
            let msg = e.to_string();
            eprintln!("{case}: end to end: error: {msg}");
            assert!(
                ids.iter().any(|id| msg.contains(&format!("\"{id}\""))),
                "{case}: the error does not name the community: {msg}"
            );
            None
        }
    }
}

fn check_analysis(case: &str, a: &Analysis) -> Figures {
    assert_eq!(a.categories.len(), 1, "{case}");
    let cat = &a.categories[0];
    let s = &cat.summary;
    let area_m2 = s.area_m2.expect("communities have an area");
    assert!(
        area_m2.is_finite() && area_m2 > 0.0,
        "{case}: area {area_m2}"
    );
    assert!(
        (a.inputs.communities.as_ref().unwrap().area_m2 - area_m2).abs() <= 1e-9 * area_m2,
        "{case}: the summary's area differs from the inputs' area"
    );
    assert!(
        (0.0..=1.0).contains(&s.area_coverage.unwrap()),
        "{case}: area coverage {:?}",
        s.area_coverage
    );
    let shares: Vec<f64> = cat.communities.iter().map(|c| c.share).collect();
    for (k, c) in cat.communities.iter().enumerate() {
        assert!(
            c.share.is_finite() && (0.0..=1.0).contains(&c.share),
            "{case}: community {k} share {}",
            c.share
        );
        if let Some(d) = c.nearest_m {
            assert!(
                d.is_finite() && d >= 0.0,
                "{case}: community {k} nearest {d}"
            );
        }
    }
    let covered_m2 = s.area_coverage.unwrap() * area_m2;
    let gap_m2: f64 = cat.gaps.iter().map(|g| g.area_m2.unwrap()).sum();
    for g in &cat.gaps {
        assert!(
            g.area_m2.is_some_and(|a| a.is_finite() && a > 0.0),
            "{case}: gap area {:?}",
            g.area_m2
        );
    }
    // Clipping snaps to i_overlay's integer grid: a relative error of about 1e-6.
    assert!(
        (covered_m2 + gap_m2 - area_m2).abs() <= 1e-4 * area_m2,
        "{case}: covered {covered_m2} + gaps {gap_m2} != area {area_m2}"
    );
    eprintln!(
        "{case}: end to end: area {area_m2} m2, covered {covered_m2} m2, gaps {gap_m2} m2, \
         shares {shares:?}, warnings {:?}",
        a.warnings
    );
    Figures { area_m2, shares }
}

// ---------------------------------------------------------------------------------------
// Directly: one boundary, facility sites and a radius, through `measure_place`.
// ---------------------------------------------------------------------------------------

/// Measures a valid `boundary` against `sites` with a timeout and checks the coverage.
/// `None` if the boundary has no area (`Place::new` refuses it).
fn direct(
    case: &str,
    boundary: MultiPolygon<f64>,
    sites: Vec<Coord<f64>>,
    radius_m: f64,
) -> Option<Coverage> {
    let (area, coverage) = measure_in_time(case, boundary, sites, radius_m)?;
    check_coverage(case, area, &coverage);
    Some(coverage)
}

/// As [`direct`], for a boundary that is invalid as drawn (the pipeline repairs such
/// boundaries before measuring): only a finite share in 0..1 is required, since the
/// clipping and the area of a self-crossing ring count its lobes differently.
fn direct_invalid(
    case: &str,
    boundary: MultiPolygon<f64>,
    sites: Vec<Coord<f64>>,
    radius_m: f64,
) -> Option<Coverage> {
    let (area, cov) = measure_in_time(case, boundary, sites, radius_m)?;
    assert!(
        cov.share.is_finite() && (0.0..=1.0).contains(&cov.share),
        "{case}: share {}",
        cov.share
    );
    let gap_m2: f64 = cov.gaps.iter().map(|g| g.unsigned_area()).sum();
    eprintln!(
        "{case}: direct, invalid as drawn: area {area} m2, covered {} m2, share {}, gaps {gap_m2} m2",
        cov.covered_m2, cov.share
    );
    Some(cov)
}

fn measure_in_time(
    case: &str,
    boundary: MultiPolygon<f64>,
    sites: Vec<Coord<f64>>,
    radius_m: f64,
) -> Option<(f64, Coverage)> {
    within_time(case, move || {
        let place = Place::new(boundary)?;
        let index = FacilityIndex::new(sites.iter().enumerate().map(|(i, c)| (*c, i)));
        let model = StraightLine::default();
        let cov = measure_place(&place, &Circles::new(index, &model), radius_m);
        Some((place.area_m2, cov))
    })
    .unwrap()
}

fn check_coverage(case: &str, area_m2: f64, cov: &Coverage) {
    assert!(
        area_m2.is_finite() && area_m2 > 0.0,
        "{case}: area {area_m2}"
    );
    assert!(
        cov.share.is_finite() && (0.0..=1.0).contains(&cov.share),
        "{case}: share {}",
        cov.share
    );
    assert!(
        cov.covered_m2.is_finite() && cov.covered_m2 >= 0.0 && cov.covered_m2 <= area_m2,
        "{case}: covered {} of {area_m2}",
        cov.covered_m2
    );
    let gap_m2: f64 = cov.gaps.iter().map(|g| g.unsigned_area()).sum();
    assert!(
        (cov.covered_m2 + gap_m2 - area_m2).abs() <= 1e-4 * area_m2,
        "{case}: covered {} + gaps {gap_m2} != area {area_m2}",
        cov.covered_m2
    );
    eprintln!(
        "{case}: direct: area {area_m2} m2, covered {} m2, share {}, gaps {} ({gap_m2} m2)",
        cov.covered_m2,
        cov.share,
        cov.gaps.len()
    );
}

// ---------------------------------------------------------------------------------------
// Shape helpers.
// ---------------------------------------------------------------------------------------

fn ring(points: &[(f64, f64)]) -> LineString<f64> {
    LineString::from(points.to_vec())
}

fn poly(exterior: &[(f64, f64)], holes: &[&[(f64, f64)]]) -> Polygon<f64> {
    Polygon::new(ring(exterior), holes.iter().map(|h| ring(h)).collect())
}

fn multi(p: Polygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon(vec![p])
}

/// A ring as GeoJSON positions, each shifted by (dx, dy); closed if it is not.
fn positions(points: &[(f64, f64)], dx: f64, dy: f64) -> Value {
    let mut v: Vec<Value> = points
        .iter()
        .map(|&(x, y)| json!([x + dx, y + dy]))
        .collect();
    if points.first() != points.last() {
        v.push(v[0].clone());
    }
    Value::Array(v)
}

fn geojson_polygon(rings: &[&[(f64, f64)]], dx: f64, dy: f64) -> Value {
    json!({
        "type": "Polygon",
        "coordinates": rings.iter().map(|r| positions(r, dx, dy)).collect::<Vec<_>>(),
    })
}

fn shifted(points: &[(f64, f64)], dx: f64, dy: f64) -> Vec<(f64, f64)> {
    points.iter().map(|&(x, y)| (x + dx, y + dy)).collect()
}

fn coords(points: &[(f64, f64)]) -> Vec<Coord<f64>> {
    points.iter().map(|&(x, y)| Coord { x, y }).collect()
}

fn close(expected: f64, got: f64, rel: f64) -> bool {
    (expected - got).abs() <= rel * expected.abs().max(f64::MIN_POSITIVE)
}

// ---------------------------------------------------------------------------------------
// Reported shapes.
// ---------------------------------------------------------------------------------------

const SQUARE_400: [(f64, f64); 5] = [
    (0.0, 0.0),
    (400.0, 0.0),
    (400.0, 400.0),
    (0.0, 400.0),
    (0.0, 0.0),
];

/// georust/geo#1597: a valid square with an *empty* interior ring. `Buffer` on it panics
/// inside i_shape (`int_area.rs`, subtract with overflow; i_shape 1.18.0, our version).
/// lifecircle does not buffer, but the empty ring reaches the boundary checks, `Place`
/// (area, centroid, interior point, distance) and the clipping; a 200 m circle at a corner
/// covers a quarter circle, 31,416 of 160,000 m2.
#[test]
fn georust_geo_1597_empty_interior_ring() {
    let case = "georust/geo#1597 empty interior ring";
    let expected = std::f64::consts::PI * 200.0 * 200.0 / 4.0 / 160_000.0;

    let mut with_empty_ring = geojson_polygon(&[&SQUARE_400], X0, Y0);
    with_empty_ring["coordinates"]
        .as_array_mut()
        .unwrap()
        .push(json!([]));
    let figures = end_to_end(
        case,
        Layers {
            crs: "EPSG:32650",
            work_crs: None,
            communities: vec![("geo-1597", with_empty_ring)],
            markets: vec![[X0, Y0]],
            radius_m: 200.0,
        },
    );
    if let Some(f) = figures {
        assert!(
            close(expected, f.shares[0], 1e-4),
            "{case}: share {}",
            f.shares[0]
        );
    }

    let boundary = multi(Polygon::new(
        ring(&SQUARE_400),
        vec![LineString::new(vec![])],
    ));
    let cov = direct(case, boundary, coords(&[(0.0, 0.0)]), 200.0).unwrap();
    assert!(
        close(expected, cov.share, 1e-4),
        "{case}: share {}",
        cov.share
    );
}

/// iShape-Rust/iOverlay#37: buffering this polygon (150 m, round joins) looped forever and
/// ate memory in i_overlay 4.0.6 (through geo 0.32); the reporter blamed the large
/// projected y (5.89e6) with many decimals, and two vertices 2 mm apart. Fixed in the
/// i_overlay we use (4.5.2 carries the case as `test_infinity_loop_0`). lifecircle's
/// nearest equivalent of a round-joined buffer is the union of circles at the vertices:
/// a market at each vertex (the two 2 mm apart included), radius 150 m. End to end the
/// coordinates are declared Web Mercator (EPSG:3857, western France); directly they are
/// taken as metres as they are.
#[test]
fn ishape_ioverlay_37_large_projected_coordinates() {
    let case = "iShape-Rust/iOverlay#37 large projected coordinates";
    let path = [
        (2681.39599938213, 5892784.488998892),
        (5419.06964821636, 5891947.742386343),
        (5419.1446127397, 5891949.316633703),
        (5422.8669123155, 5892027.484991552),
        (5034.8682417375, 5892817.151239874),
        (4804.8188261491, 5892876.799252035),
        (4804.81882805645, 5892876.799253942),
        (4551.3436274034, 5892942.5211854),
        (2681.39599938213, 5892784.488998892),
    ];
    let vertices: Vec<[f64; 2]> = path[..8].iter().map(|&(x, y)| [x, y]).collect();
    end_to_end(
        case,
        Layers {
            crs: "EPSG:3857",
            work_crs: None,
            communities: vec![("ioverlay-37", geojson_polygon(&[&path], 0.0, 0.0))],
            markets: vertices,
            radius_m: 150.0,
        },
    );
    let boundary = multi(poly(&path, &[]));
    let sites = coords(&path[..8]);
    direct(case, boundary.clone(), sites.clone(), 150.0).unwrap();
    // And with circles large enough to swallow the near-duplicate vertices whole.
    direct(case, boundary, sites, 1000.0).unwrap();
}

/// georust/geo#1064: intersection of a UTM-sized polygon (x 7.1e5, y 4.5e6, rounded corners
/// with vertices 1e-10 apart in relative terms) with a 100 km box panicked in geo's old
/// sweep-line BooleanOps. Here the polygon and the box are two communities in UTM 50N,
/// with markets on the polygon's rounded corners and the box's corner.
#[test]
fn georust_geo_1064_utm_polygon_and_box() {
    let case = "georust/geo#1064 UTM polygon and box";
    let a: MultiPolygon<f64> = geo::wkt!(MULTIPOLYGON(((709799.9999999999 4535330.115932672, 709800.0000000001 4535889.8772568945, 709800.0057476197 4535889.994252375, 709800.1227431173 4535890.000000001, 710109.8788852151 4535889.999999996, 710109.994510683 4535889.99439513, 710110.0025226776 4535889.878911494, 710119.9974094903 4535410.124344491, 710119.9939843 4535410.005891683, 710119.8756285358 4535410.000000003, 710050.1240139506 4535410.000000003, 710050.0040320279 4535410.005955433, 710049.9539423736 4535410.115144073, 710038.1683017325 4535439.579245671, 710037.9601922985 4535440.0325333765, 710037.7079566419 4535440.462831489, 710037.4141048047 4535440.865858022, 710037.0815609565 4535441.237602393, 710036.7136342974 4535441.57436531, 710036.3139861295 4535441.872795589, 710035.8865934211 4535442.129923492, 710035.4357092284 4535442.343190307, 710034.9658203793 4535442.510473766, 710034.4816028172 4535442.6301092245, 710033.9878750739 4535442.7009061435, 710033.489550319 4535442.722160025, 710032.9915874689 4535442.6936593605, 710032.4989418354 4535442.615687774, 710032.016515821 4535442.48902117, 710031.54911013 4535442.314920021, 710031.1013759954 4535442.095116852, 710030.6777688961 4535441.831798956, 710030.2825042206 4535441.527586658, 710029.9195153153 4535441.185507218, 710029.5924143443 4535440.808964732, 710029.3044563448 4535440.401706239, 710029.0585068383 4535439.967784446, 710028.8570133082 4535439.511517367, 710028.701980853 4535439.037445406, 710028.5949522265 4535438.550286128, 710028.536992489 4535438.05488734, 710020.008429941 4535310.126449097, 710019.9938185212 4535310.0024022255, 710019.9208325277 4535309.901040657, 709980.0772727348 4535260.096590921, 709979.9987806884 4535260.007853539, 709979.8970781134 4535260.068614591, 709920.1022372885 4535299.931841814, 709920.0058878824 4535300.003151096, 709920.0000000001 4535300.122873942, 709920.0000000002 4535324.451138855, 709919.9762868701 4535324.937522437, 709919.9053724057 4535325.419292543, 709919.7879292492 4535325.891879465, 709919.6250713767 4535326.350800604, 709919.4183435373 4535326.7917029755, 709919.1697065973 4535327.210404501, 709918.8815189389 4535327.602933702, 709918.5565140966 4535327.965567328, 709918.1977748218 4535328.294865718, 709917.8087038476 4535328.5877053905, 709917.3929916087 4535328.841308688, 709916.9545812428 4535329.053270123, 709916.497631181 4535329.221579175, 709916.0264757108 4535329.344639407, 709915.5455838591 4535329.421283546, 709915.059517008 4535329.450784619, 709914.5728856224 4535329.43286279, 709914.0903055237 4535329.367688051, 709913.6163541072 4535329.255878603, 709913.1555269207 4535329.098494996, 709912.7121950255 4535328.89703004, 709912.2905635366 4535328.653394689, 709911.8946317348 4535328.369899881, 709911.5281551343 4535328.049234638, 709911.1946098561 4535327.694440548, 709910.8971596619 4535327.308882924, 709910.638625942 4535326.896218885, 709910.4214609532 4535326.460362643, 709910.2477245614 4535326.005448406, 709910.119064699 4535325.53579115, 709900.0266965557 4535280.120134492, 709899.9954816136 4535280.006411615, 709899.8778852832 4535280.015264336, 709820.1219250998 4535289.984759362, 709820.0038570677 4535290.005451573, 709819.9450491015 4535290.109901799, 709800.0518466672 4535329.896306664, 709800.0053207672 4535330.001256061, 709799.9999999999 4535330.115932672))));
    let b: MultiPolygon<f64> = geo::wkt!(MULTIPOLYGON(((709800. 4600020., 809759.9999999993 4600020., 809759.9999999987 4500000., 709800.0000000003 4500000., 709800. 4590240., 709800. 4600020.))));
    let to_geojson = |mp: &MultiPolygon<f64>| {
        let exterior: Vec<(f64, f64)> = mp.0[0].exterior().0.iter().map(|c| (c.x, c.y)).collect();
        geojson_polygon(&[&exterior], 0.0, 0.0)
    };
    let markets = [
        [709800.0057476197, 4535889.994252375],
        [710050.1240139506, 4535410.000000003],
        [709920.0000000001, 4535300.122873942],
        [709800.0, 4500000.0],
    ];
    end_to_end(
        case,
        Layers {
            crs: "EPSG:32650",
            work_crs: None,
            communities: vec![
                ("geo-1064-a", to_geojson(&a)),
                ("geo-1064-b", to_geojson(&b)),
            ],
            markets: markets.to_vec(),
            radius_m: 300.0,
        },
    );
    let sites: Vec<Coord<f64>> = markets.iter().map(|&[x, y]| Coord { x, y }).collect();
    direct(case, a, sites.clone(), 300.0).unwrap();
    direct(case, b, sites, 300.0).unwrap();
}

/// georust/geo#1174 (issuecomment-2110782797) and georust/geo#1180: the union of two Web
/// Mercator triangles at x ≈ -1.0e7 (large projected coordinates), one with two vertices
/// 1.5e-8 m apart, panicked ("segment not found in active-vec-set") in geo 0.28's sweep.
/// Two communities in EPSG:3857 (Louisiana), markets on the near-duplicate vertices;
/// directly, the raw coordinates are taken as metres.
#[test]
fn georust_geo_1174_1180_web_mercator_triangles() {
    let case = "georust/geo#1174/#1180 Web Mercator triangles";
    let poly1 = [
        (-10339459.518507583, 3672178.7824083967),
        (-10172502.686420029, 3169028.9498966974),
        (-10002503.513328442, 3498113.19617442),
        (-10339459.518507583, 3672178.7824083967),
    ];
    let poly2 = [
        (-10644125.090349106, 3510000.058398463),
        (-10010375.27222986, 3502179.60931681),
        (-10018249.493188547, 3506247.294314978),
        (-10018249.49318854, 3506247.294314993),
        (-10320063.446714956, 3765929.7827082784),
        (-10644125.090349106, 3510000.058398463),
    ];
    let markets = [
        [-10018249.49318854, 3506247.294314993],
        [-10010375.27222986, 3502179.60931681],
        [-10172502.686420029, 3169028.9498966974],
    ];
    end_to_end(
        case,
        Layers {
            crs: "EPSG:3857",
            work_crs: None,
            communities: vec![
                ("geo-1180-triangle", geojson_polygon(&[&poly1], 0.0, 0.0)),
                ("geo-1180-spiked", geojson_polygon(&[&poly2], 0.0, 0.0)),
            ],
            markets: markets.to_vec(),
            radius_m: 1000.0,
        },
    );
    let sites: Vec<Coord<f64>> = markets.iter().map(|&[x, y]| Coord { x, y }).collect();
    direct(case, multi(poly(&poly1, &[])), sites.clone(), 1000.0).unwrap();
    direct(case, multi(poly(&poly2, &[])), sites, 1000.0).unwrap();
}

/// georust/geo#976 (issuecomment-1696593357): the difference of a polygon with a hole and a
/// triangle panicked only once both were shifted to projected coordinates (+931,230,
/// +412,600). The polygon with its hole is a small community in UTM 50N; markets stand on
/// the triangle's corners, radius 3 m, so the circles cut through the hole's edges.
#[test]
fn georust_geo_976_shifted_polygon_with_hole() {
    let case = "georust/geo#976 shifted polygon with a hole";
    let (dx, dy) = (931_230.0, 412_600.0);
    let shell = [
        (-1.0, 46.0),
        (8.0, 46.0),
        (8.0, 39.0),
        (-1.0, 39.0),
        (-1.0, 46.0),
    ];
    let hole = [
        (2.0, 45.0),
        (7.0, 45.0),
        (7.0, 44.0),
        (5.0, 42.0),
        (5.0, 41.0),
        (0.0, 43.0),
        (2.0, 45.0),
    ];
    let triangle = [(0.0, 42.0), (6.0, 44.0), (4.0, 40.0)];
    end_to_end(
        case,
        Layers {
            crs: "EPSG:32650",
            work_crs: None,
            communities: vec![("geo-976", geojson_polygon(&[&shell, &hole], dx, dy))],
            markets: triangle.iter().map(|&(x, y)| [x + dx, y + dy]).collect(),
            radius_m: 3.0,
        },
    );
    let boundary = multi(poly(&shifted(&shell, dx, dy), &[&shifted(&hole, dx, dy)]));
    direct(case, boundary, coords(&shifted(&triangle, dx, dy)), 3.0).unwrap();
}

/// iShape-Rust/iOverlay `tests/crash_tests.rs` `test_01`: a self-crossing five-point star
/// with float coordinates that crashed the fragment solver. As a community it is invalid,
/// so lifecircle repairs it (non-zero winding) before measuring; directly, the invalid star
/// goes to the clipping as drawn.
#[test]
#[allow(clippy::excessive_precision)] // the coordinates as the test file gives them
fn ishape_ioverlay_crash_test_01_self_crossing_star() {
    let case = "iShape-Rust/iOverlay crash_tests::test_01 self-crossing star";
    let star = [
        (-117.04171489206965, 1820.3621519926919),
        (4619.6817058891429, -2133.11539650432),
        (1902.5599837294722, -133.53167784432389),
        (-3572.1275050425684, 3909.4677532724309),
        (3047.0491344383845, -4087.6336157702817),
        (-117.04171489206965, 1820.3621519926919),
    ];
    let (dx, dy) = (X0 + 5000.0, Y0 + 5000.0);
    let markets: Vec<[f64; 2]> = [(0.0, 0.0), (1902.56, -133.53), (-3000.0, 3000.0)]
        .iter()
        .map(|&(x, y)| [x + dx, y + dy])
        .collect();
    end_to_end(
        case,
        Layers {
            crs: "EPSG:32650",
            work_crs: None,
            communities: vec![("ioverlay-star", geojson_polygon(&[&star], dx, dy))],
            markets: markets.clone(),
            radius_m: 1000.0,
        },
    );
    let sites: Vec<Coord<f64>> = markets.iter().map(|&[x, y]| Coord { x, y }).collect();
    direct_invalid(
        case,
        multi(poly(&shifted(&star, dx, dy), &[])),
        sites,
        1000.0,
    )
    .unwrap();
}

// ---------------------------------------------------------------------------------------
// Generic hazards.
// ---------------------------------------------------------------------------------------

/// A 300 m block whose edges carry spikes 1e-7 m wide and 100 m long, out of and into the
/// block (one-dimensional spikes made debug builds of geo's BooleanOps assert, see
/// a-b-street/ltn#80), with circle edges crossing the spikes.
#[test]
fn nearly_collinear_spikes() {
    let case = "nearly collinear spikes";
    let w = 1e-7;
    let block = [
        (0.0, 0.0),
        (300.0, 0.0),
        (300.0, 300.0),
        // Out of the block, up.
        (200.0 + 2.0 * w, 300.0),
        (200.0 + w, 400.0),
        (200.0, 300.0),
        // Into the block, down.
        (100.0 + 2.0 * w, 300.0),
        (100.0 + w, 200.0),
        (100.0, 300.0),
        (0.0, 300.0),
        // Out of the block, left, nearly along the edge's line.
        (0.0, 150.0 + w),
        (-100.0, 150.0 + w / 2.0),
        (0.0, 150.0),
        (0.0, 0.0),
    ];
    let markets = [
        (200.0, 420.0),
        (100.0, 120.0),
        (-160.0, 150.0),
        (300.0, 0.0),
    ];
    end_to_end(
        case,
        Layers {
            crs: "EPSG:32650",
            work_crs: None,
            communities: vec![("spikes", geojson_polygon(&[&block], X0, Y0))],
            markets: markets.iter().map(|&(x, y)| [x + X0, y + Y0]).collect(),
            radius_m: 90.0,
        },
    );
    direct(case, multi(poly(&block, &[])), coords(&markets), 90.0).unwrap();
    direct(
        case,
        multi(poly(&shifted(&block, X0, Y0), &[])),
        coords(&shifted(&markets, X0, Y0)),
        90.0,
    )
    .unwrap();
}

/// Large projected coordinates: a block at a northing of 9,999,000 m (UTM 50S, just south
/// of the equator; the false northing is 1e7 m) end to end, and directly at 1e7 and 1e8 m.
/// The result must not depend on where the block lies: measured at the origin, the share
/// is the same.
#[test]
fn coordinates_at_1e7_metres() {
    let case = "coordinates at 1e7 metres";
    let block = [
        (0.0, 0.0),
        (500.0, 0.0),
        (500.0, 300.0),
        (250.0, 500.0),
        (0.0, 300.0),
        (0.0, 0.0),
    ];
    let markets = [(-300.0, 100.0), (480.0, 520.0), (250.0, -900.0)];
    let (ex, ny) = (560_000.0, 9_999_000.0);
    let figures = end_to_end(
        case,
        Layers {
            crs: "EPSG:32750",
            work_crs: Some("EPSG:32750"),
            communities: vec![("equator-block", geojson_polygon(&[&block], ex, ny))],
            markets: markets.iter().map(|&(x, y)| [x + ex, y + ny]).collect(),
            radius_m: 400.0,
        },
    );
    let at_origin = direct(case, multi(poly(&block, &[])), coords(&markets), 400.0).unwrap();
    if let Some(f) = figures {
        // The same block in a working CRS with a scale factor of 0.9996: within 0.1%.
        assert!(
            (f.shares[0] - at_origin.share).abs() < 1e-3,
            "{case}: {} end to end vs {} at the origin",
            f.shares[0],
            at_origin.share
        );
    }
    for offset in [1e7, -1e7, 1e8] {
        let far = direct(
            case,
            multi(poly(&shifted(&block, offset, offset), &[])),
            coords(&shifted(&markets, offset, offset)),
            400.0,
        )
        .unwrap();
        assert!(
            (far.share - at_origin.share).abs() < 1e-6,
            "{case}: share {} at {offset} m vs {} at the origin",
            far.share,
            at_origin.share
        );
    }
}

/// A ring where every vertex is repeated 200 times, and its edges are densified into runs
/// of identical points, crossed by circle edges.
#[test]
fn many_duplicate_consecutive_vertices() {
    let case = "many duplicate consecutive vertices";
    let corners = [(0.0, 0.0), (400.0, 0.0), (400.0, 400.0), (0.0, 400.0)];
    let mut ring_points = Vec::new();
    for i in 0..4 {
        let (a, b) = (corners[i], corners[(i + 1) % 4]);
        for step in 0..10 {
            let t = step as f64 / 10.0;
            let p = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            let repeats = if step == 0 { 200 } else { 20 };
            ring_points.extend(std::iter::repeat_n(p, repeats));
        }
    }
    ring_points.push(ring_points[0]);
    let markets = [(0.0, 200.0), (400.0, 400.0)];
    let expected = (std::f64::consts::PI * 150.0 * 150.0 * 0.75) / 160_000.0;
    let figures = end_to_end(
        case,
        Layers {
            crs: "EPSG:32650",
            work_crs: None,
            communities: vec![("duplicates", geojson_polygon(&[&ring_points], X0, Y0))],
            markets: markets.iter().map(|&(x, y)| [x + X0, y + Y0]).collect(),
            radius_m: 150.0,
        },
    );
    if let Some(f) = figures {
        assert!(
            close(expected, f.shares[0], 1e-3),
            "{case}: share {}",
            f.shares[0]
        );
    }
    let cov = direct(
        case,
        multi(poly(&ring_points, &[])),
        coords(&markets),
        150.0,
    )
    .unwrap();
    // Half a circle at the left edge, a quarter at the top-right corner.
    assert!(
        close(expected, cov.share, 1e-4),
        "{case}: share {}",
        cov.share
    );
}

/// A community of 1e-3 m2 (a square 3.2 cm wide) cut in half by the edge of a 1,000 m
/// circle, and another one well inside a circle: the clipping grid is set by the circle's
/// size, not the community's.
#[test]
fn tiny_community_next_to_a_big_circle() {
    let case = "tiny community next to a big circle";
    let s = 1e-3f64.sqrt();
    let tiny = [(0.0, 0.0), (s, 0.0), (s, s), (0.0, s), (0.0, 0.0)];
    // The circle is drawn as a 128-gon of equal area, whose vertices lie 0.2 m beyond the
    // radius: the market stands due west so that a vertex falls on the square's middle,
    // and the polygon's edge (nearly straight there) cuts the square about in half.
    let vertex = StraightLine::default()
        .service_area(Coord { x: 0.0, y: 0.0 }, 1000.0)
        .exterior()
        .0[0]
        .x;
    let edge_market = (s / 2.0 - vertex, s / 2.0);
    let inside = shifted(&tiny, 3000.0, 0.0);
    let inside_market = (3000.0 + 300.0, 0.0);
    let figures = end_to_end(
        case,
        Layers {
            crs: "EPSG:32650",
            work_crs: None,
            communities: vec![
                ("tiny-on-edge", geojson_polygon(&[&tiny], X0, Y0)),
                ("tiny-inside", geojson_polygon(&[&inside], X0, Y0)),
            ],
            markets: [edge_market, inside_market]
                .iter()
                .map(|&(x, y)| [x + X0, y + Y0])
                .collect(),
            radius_m: 1000.0,
        },
    );
    if let Some(f) = figures {
        assert!(
            (f.area_m2 - 2e-3).abs() < 1e-5,
            "{case}: area {}",
            f.area_m2
        );
        assert!(
            (f.shares[0] - 0.5).abs() < 0.01,
            "{case}: share {}",
            f.shares[0]
        );
        assert!(
            (f.shares[1] - 1.0).abs() < 1e-9,
            "{case}: share {}",
            f.shares[1]
        );
    }
    let cov = direct(
        case,
        multi(poly(&tiny, &[])),
        coords(&[edge_market]),
        1000.0,
    )
    .unwrap();
    assert!(
        (cov.share - 0.5).abs() < 0.01,
        "{case}: share {}",
        cov.share
    );
    let cov = direct(
        case,
        multi(poly(&inside, &[])),
        coords(&[inside_market]),
        1000.0,
    )
    .unwrap();
    assert_eq!(cov.share, 1.0, "{case}");
    // Far from the origin too, where a centimetre is 1e-9 of the coordinate.
    let cov = direct(
        case,
        multi(poly(&shifted(&tiny, 1e7, 1e7), &[])),
        coords(&shifted(&[edge_market], 1e7, 1e7)),
        1000.0,
    )
    .unwrap();
    assert!(
        (cov.share - 0.5).abs() < 0.01,
        "{case}: share {}",
        cov.share
    );
}

/// A block with a hole of 1e-4 m2, three points nearly on one line (a degenerate hole made
/// i_overlay's hole binding index out of bounds when buffering, apache/sedona-db#1178),
/// with circle edges crossing the hole.
#[test]
fn degenerate_sliver_hole() {
    let case = "degenerate sliver hole";
    let hole = [
        (100.0, 100.0),
        (200.0, 100.000001),
        (300.0, 100.0),
        (100.0, 100.0),
    ];
    let markets = [(200.0, 0.0), (400.0, 400.0)];
    end_to_end(
        case,
        Layers {
            crs: "EPSG:32650",
            work_crs: None,
            communities: vec![(
                "sliver-hole",
                geojson_polygon(&[&SQUARE_400, &hole], X0, Y0),
            )],
            markets: markets.iter().map(|&(x, y)| [x + X0, y + Y0]).collect(),
            radius_m: 120.0,
        },
    );
    direct(
        case,
        multi(poly(&SQUARE_400, &[&hole])),
        coords(&markets),
        120.0,
    )
    .unwrap();
}

/// Facilities at one spot and a hair apart (1e-9 m, 2 mm): their circles are unioned
/// (`unary_union`) before clipping, and dissolved into one service area.
#[test]
fn nearly_coincident_facilities() {
    let case = "nearly coincident facilities";
    let markets = [
        (0.0, 200.0),
        (0.0, 200.0),
        (1e-9, 200.0),
        (0.0, 200.0 + 1e-9),
        (0.002, 200.0),
        (0.0, 200.002),
    ];
    let expected = std::f64::consts::PI * 150.0 * 150.0 / 2.0 / 160_000.0;
    let figures = end_to_end(
        case,
        Layers {
            crs: "EPSG:32650",
            work_crs: None,
            communities: vec![("coincident", geojson_polygon(&[&SQUARE_400], X0, Y0))],
            markets: markets.iter().map(|&(x, y)| [x + X0, y + Y0]).collect(),
            radius_m: 150.0,
        },
    );
    if let Some(f) = figures {
        assert!(
            close(expected, f.shares[0], 1e-3),
            "{case}: share {}",
            f.shares[0]
        );
    }
    let cov = direct(case, multi(poly(&SQUARE_400, &[])), coords(&markets), 150.0).unwrap();
    assert!(
        close(expected, cov.share, 1e-4),
        "{case}: share {}",
        cov.share
    );
}
