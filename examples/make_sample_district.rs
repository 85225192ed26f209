//! Generates the synthetic sample district used by lifecircle's demo and tests:
//! `communities.geojson`, `facilities.geojson`, `buildings.geojson` and a `README.md`
//! describing them, written to the folder given as the only argument (default `data/teda`):
//!
//! ```text
//! cargo run --example make_sample_district -- data/teda
//! ```
//!
//! The district is laid out like the east district of Tianjin TEDA (Binhai New
//! Area): residential superblocks (社区) on an orthogonal grid of 30-50 m wide
//! roads, about 3.5 km × 2.5 km, around a downtown business district and a
//! central park. It is invented, but shaped to exercise the analysis: jittered,
//! L-shaped and cut-corner blocks, polygons with holes, Polygon and MultiPoint
//! facilities, facilities beyond the district boundary road that still serve it,
//! and an eastern fringe deliberately left without a market within 1 km.
//!
//! Everything is laid out in local metres (x east, y north) around the centre
//! (117.715° E, 39.045° N) and converted to WGS 84 with the equirectangular
//! approximation lon = lon0 + x / (111320·cos(lat0)), lat = lat0 + y / 110574,
//! rounded to 7 decimals. A fixed-seed splitmix64 generator makes the output
//! byte-identical on every run, so the README written alongside stays true.
//!
//! The plan-indicator properties (community workers, social organisations, service
//! centres) and the residential buildings were added later. They draw from their own
//! seeded generators, after everything else, so the original streets, communities and
//! facilities come out exactly as before.

use serde_json::{json, Value};
use std::error::Error;
use std::f64::consts::TAU;
use std::path::Path;

const LON0: f64 = 117.715;
const LAT0: f64 = 39.045;
const SEED: u64 = 0x7EDA_2015_0015_1000;
/// Separate seeds for the later additions, so they leave the original draws alone.
const INDICATOR_SEED: u64 = 0x7EDA_2021_2025_0001;
const BUILDING_SEED: u64 = 0x7EDA_2021_2025_0002;
/// The Tianjin 2021-2025 plan's ratios (专栏1): service-centre floor area per 100
/// households, community workers per 10,000 residents, and social organisations per
/// community of 500 households or more.
const AREA_PER_100_HOUSEHOLDS: f64 = 30.0;
const WORKERS_PER_10000: f64 = 18.0;
const ORGS_AT_500_HOUSEHOLDS: u64 = 12;
/// How many communities are made to fall short of each ratio.
const SHORT_OF_AREA: usize = 5;
const SHORT_OF_WORKERS: usize = 7;
const SHORT_OF_ORGS: usize = 3;
/// Street centre lines in local metres: x of the north-south roads, y of the east-west ones.
const XS: [f64; 7] = [-1750.0, -1130.0, -590.0, 110.0, 590.0, 1190.0, 1750.0];
const YS: [f64; 5] = [-1250.0, -610.0, -50.0, 650.0, 1250.0];
/// Grid cells (column, row; from the south-west) that are not residential:
/// a logistics yard, the downtown business district and the central park.
const NON_RESIDENTIAL: [(usize, usize); 3] = [(0, 0), (2, 2), (3, 2)];
/// Communities still under construction: sparse, no facilities of their own yet.
const UNDER_CONSTRUCTION: [(usize, usize); 2] = [(0, 3), (4, 0)];
/// Cells whose community has a hole: a lake, and a school compound.
const LAKE: (usize, usize) = (1, 2);
const SCHOOL: (usize, usize) = (4, 2);
/// The eastern fringe column, kept more than 1 km (plus a 100 m margin) from every market.
const FRINGE_COL: usize = 5;
const DOWNTOWN: Pt = (110.0, 300.0);
const NAMES: [&str; 21] = [
    "金滨", "康翠", "贻丰", "华纳", "翠亨", "丽晶", "朗钰", "鸿泰", "凯旋", "海星", "万通", "云山",
    "泰丰", "悦海", "锦华", "美林", "欣嘉", "和顺", "安泰", "雅园", "柏翠",
];
const CATEGORIES: [&str; 6] = [
    "market",
    "fitness",
    "health",
    "education",
    "elderly_care",
    "service_centre",
];
/// Downtown points, then six beyond the district boundary road: name, category, x, y.
const FIXED: [(&str, &str, f64, f64); 16] = [
    ("泰达农贸市场", "market", -320.0, 160.0),
    ("第二大街生鲜超市", "market", 80.0, 560.0),
    ("泰达医院", "health", -240.0, 460.0),
    ("泰达社区卫生服务中心", "health", 130.0, 170.0),
    ("泰达口腔门诊部", "health", -450.0, 580.0),
    ("泰达游泳馆", "fitness", -120.0, 80.0),
    ("泰达第一中学", "education", -460.0, 330.0),
    ("泰达实验学校", "education", 280.0, 590.0),
    ("泰达老年活动中心", "elderly_care", 230.0, 40.0),
    ("泰达颐养院", "elderly_care", -180.0, 610.0),
    ("新城西农贸市场", "market", -2050.0, -250.0),
    ("新城医院", "health", -2150.0, 880.0),
    ("泰达第二中学", "education", -620.0, 1600.0),
    ("海河养老院", "elderly_care", 900.0, 1520.0),
    ("南海路农贸市场", "market", -880.0, -1560.0),
    ("东海岸健身步道", "fitness", 2060.0, 180.0),
];

/// Fitness grounds drawn as polygons: name, centre, width, height, rotation in degrees.
const GROUNDS: [(&str, Pt, f64, f64, f64); 2] = [
    ("泰达中心公园", (350.0, 300.0), 200.0, 150.0, 8.0),
    ("泰达体育场", (-380.0, 70.0), 150.0, 100.0, -3.0),
];

type Pt = (f64, f64);
type Grid = [[Pt; YS.len()]; XS.len()];

/// splitmix64: tiny, and identical on every platform.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

struct Community {
    id: String,
    name: String,
    street: &'static str,
    cell: (usize, usize),
    /// Exterior (counter-clockwise) then holes (clockwise).
    rings: Vec<Vec<Pt>>,
    centroid: Pt,
    population: u64,
    households: u64,
    /// Community workers (社区工作者); set by `plan_indicators`.
    workers: u64,
    /// Registered community social organisations; set by `plan_indicators`.
    social_orgs: u64,
}

impl Community {
    fn feature(&self) -> Value {
        let rings: Vec<Value> = self.rings.iter().map(|r| ring_json(r)).collect();
        let properties = json!({
            "households": self.households, "id": self.id, "name": self.name,
            "population": self.population, "social_orgs": self.social_orgs,
            "street": self.street, "urban": 1, "workers": self.workers,
        });
        feature("Polygon", rings.into(), properties)
    }
    /// Whether `p` lies in the community, at least `margin` metres from every edge.
    fn holds(&self, p: Pt, margin: f64) -> bool {
        let (ext, holes) = (&self.rings[0], &self.rings[1..]);
        inside(p, ext)
            && to_ring(p, ext) >= margin
            && holes
                .iter()
                .all(|h| !inside(p, h) && to_ring(p, h) >= margin)
    }
    fn workers_per_10000(&self) -> f64 {
        self.workers as f64 / self.population as f64 * 10_000.0
    }
}

enum Shape {
    Point,
    MultiPoint,
    Polygon,
}

struct Facility {
    name: String,
    category: &'static str,
    shape: Shape,
    /// The point, the entrances, or the polygon's exterior ring.
    pts: Vec<Pt>,
    /// Floor area in m², for service centres.
    floor_area_m2: Option<u64>,
}

impl Facility {
    fn new(name: &str, category: &'static str, shape: Shape, pts: Vec<Pt>) -> Self {
        let name = name.to_string();
        Facility {
            name,
            category,
            shape,
            pts,
            floor_area_m2: None,
        }
    }
    fn feature(&self, number: usize) -> Value {
        let (kind, coordinates) = match self.shape {
            Shape::Point => ("Point", lonlat(self.pts[0])),
            Shape::MultiPoint => ("MultiPoint", self.pts.iter().map(|&p| lonlat(p)).collect()),
            Shape::Polygon => ("Polygon", json!([ring_json(&self.pts)])),
        };
        let id = format!("F{number:03}");
        let properties = match self.floor_area_m2 {
            None => json!({"category": self.category, "id": id, "name": self.name}),
            Some(area) => json!({
                "category": self.category, "floor_area_m2": area, "id": id, "name": self.name,
            }),
        };
        feature(kind, coordinates, properties)
    }
    /// Beyond the district boundary road, which runs along the outermost street lines.
    fn outside(&self) -> bool {
        let (x, y) = self.pts[0];
        x < XS[0] || x > XS[XS.len() - 1] || y < YS[0] || y > YS[YS.len() - 1]
    }
}

fn point(name: &str, category: &'static str, p: Pt) -> Facility {
    Facility::new(name, category, Shape::Point, vec![p])
}

fn lerp(a: Pt, b: Pt, t: f64) -> Pt {
    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
}

fn dist(a: Pt, b: Pt) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// Signed area (positive when the exterior is counter-clockwise) and centroid.
/// Holes run clockwise, so their negative terms subtract themselves.
fn area_centroid(rings: &[Vec<Pt>]) -> (f64, Pt) {
    let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for ring in rings {
        for (i, &p) in ring.iter().enumerate() {
            let q = ring[(i + 1) % ring.len()];
            let cross = p.0 * q.1 - q.0 * p.1;
            a += cross;
            cx += (p.0 + q.0) * cross;
            cy += (p.1 + q.1) * cross;
        }
    }
    (a / 2.0, (cx / (3.0 * a), cy / (3.0 * a)))
}

/// Whether `p` lies inside `ring` (even-odd rule).
fn inside(p: Pt, ring: &[Pt]) -> bool {
    let crosses = |(i, &a): (usize, &Pt)| {
        let b = ring[(i + 1) % ring.len()];
        (a.1 > p.1) != (b.1 > p.1) && p.0 < a.0 + (p.1 - a.1) / (b.1 - a.1) * (b.0 - a.0)
    };
    ring.iter().enumerate().filter(|&e| crosses(e)).count() % 2 == 1
}

/// Distance from `p` to the nearest point of `ring`'s boundary.
fn to_ring(p: Pt, ring: &[Pt]) -> f64 {
    let to_edge = |(i, &a): (usize, &Pt)| {
        let b = ring[(i + 1) % ring.len()];
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let t = ((p.0 - a.0) * dx + (p.1 - a.1) * dy) / (dx * dx + dy * dy);
        dist(p, lerp(a, b, t.clamp(0.0, 1.0)))
    };
    ring.iter()
        .enumerate()
        .map(to_edge)
        .fold(f64::INFINITY, f64::min)
}

/// A w × h rectangle centred on `c`, rotated by `deg`, counter-clockwise.
fn rect(c: Pt, w: f64, h: f64, deg: f64) -> Vec<Pt> {
    let ((s, co), w, h) = (deg.to_radians().sin_cos(), w / 2.0, h / 2.0);
    let corner = |(dx, dy): Pt| (c.0 + dx * co - dy * s, c.1 + dx * s + dy * co);
    [(-w, -h), (w, -h), (w, h), (-w, h)].map(corner).to_vec()
}

/// Local metres to a [lon, lat] pair rounded to 7 decimals (about 1 cm).
fn lonlat(p: Pt) -> Value {
    let round7 = |v: f64| (v * 1e7).round() / 1e7;
    let lon = LON0 + p.0 / (111_320.0 * LAT0.to_radians().cos());
    json!([round7(lon), round7(LAT0 + p.1 / 110_574.0)])
}

/// A GeoJSON Feature. Keys are written in sorted order, so the output is the same
/// whether or not serde_json's `preserve_order` feature is enabled.
fn feature(kind: &str, coordinates: Value, properties: Value) -> Value {
    let geometry = json!({"coordinates": coordinates, "type": kind});
    json!({"geometry": geometry, "properties": properties, "type": "Feature"})
}

/// A closed GeoJSON linear ring.
fn ring_json(ring: &[Pt]) -> Value {
    let closed = ring.iter().chain(ring.first());
    closed.map(|&p| lonlat(p)).collect()
}

fn make_communities(rng: &mut Rng, node: &Grid, hx: &[f64], hy: &[f64]) -> Vec<Community> {
    let mut out: Vec<Community> = Vec::new();
    for r in (0..YS.len() - 1).rev() {
        for c in 0..XS.len() - 1 {
            if NON_RESIDENTIAL.contains(&(c, r)) {
                continue;
            }
            // Inset the four surrounding intersections by half of each road's width.
            let (sw, se) = (node[c][r], node[c + 1][r]);
            let (ne, nw) = (node[c + 1][r + 1], node[c][r + 1]);
            let mut ext = vec![
                (sw.0 + hx[c], sw.1 + hy[r]),
                (se.0 - hx[c + 1], se.1 + hy[r]),
                (ne.0 - hx[c + 1], ne.1 - hy[r + 1]),
                (nw.0 + hx[c], nw.1 - hy[r + 1]),
            ];
            let mid = lerp(ext[0], ext[2], 0.5);
            let mut holes: Vec<Vec<Pt>> = Vec::new();
            if (c, r) == LAKE {
                // An irregular clockwise decagon.
                let mut shore = |k: usize| {
                    let (a, rad) = (-(k as f64) * TAU / 10.0, rng.range(75.0, 105.0));
                    (mid.0 + 1.4 * rad * a.cos(), mid.1 + rad * a.sin())
                };
                holes.push((0..10).map(&mut shore).collect());
            } else if (c, r) == SCHOOL {
                holes.push(rect(mid, 180.0, 130.0, 4.0).into_iter().rev().collect());
            } else if rng.range(0.0, 1.0) < 0.5 {
                // Half the other blocks lose a corner: an L-shaped notch or a diagonal cut.
                let k = (rng.range(0.0, 4.0) as usize).min(3);
                let (prev, cur, next) = (ext[(k + 3) % 4], ext[k], ext[(k + 1) % 4]);
                let p = lerp(cur, prev, rng.range(0.25, 0.4));
                let q = lerp(cur, next, rng.range(0.25, 0.4));
                let notch = (p.0 + q.0 - cur.0, p.1 + q.1 - cur.1);
                let mut cut = vec![p, q];
                if rng.range(0.0, 1.0) < 0.5 {
                    cut.insert(1, notch);
                }
                ext.splice(k..=k, cut);
            }
            let rings: Vec<Vec<Pt>> = std::iter::once(ext).chain(holes).collect();
            let (area, centroid) = area_centroid(&rings);
            // From 25,000 people/km² downtown towards 8,000 at the edges; sparse if unfinished.
            let density = if UNDER_CONSTRUCTION.contains(&(c, r)) {
                rng.range(2_500.0, 4_000.0)
            } else {
                let d = dist(centroid, DOWNTOWN);
                (24_000.0 - 6.0 * d + rng.range(-1_500.0, 1_500.0)).clamp(8_000.0, 25_000.0)
            };
            let population = ((area / 1e6 * density / 10.0).round() * 10.0) as u64;
            let n = out.len();
            out.push(Community {
                id: format!("TEDA-{:02}", n + 1),
                name: format!("{}社区", NAMES[n % NAMES.len()]),
                street: ["新城街", "新城街", "泰达街", "泰达街", "东海街", "东海街"][c],
                cell: (c, r),
                rings,
                centroid,
                population,
                households: (population as f64 / rng.range(2.6, 2.9)).round() as u64,
                workers: 0,
                social_orgs: 0,
            });
        }
    }
    out
}

/// A site within `radius` metres (in x and y) of a community's centroid, not in a hole.
fn near(rng: &mut Rng, c: &Community, radius: f64) -> Pt {
    let (x, y) = c.centroid;
    loop {
        let (dx, dy) = (rng.range(-radius, radius), rng.range(-radius, radius));
        let p = (x + dx, y + dy);
        if !c.rings[1..].iter().any(|hole| inside(p, hole)) {
            return p;
        }
    }
}

/// A site near a community's centre or, half the time, on one of its bounding roads
/// (never the district boundary road: facilities beyond it are placed by hand).
fn site(rng: &mut Rng, node: &Grid, c: &Community) -> Pt {
    if rng.range(0.0, 1.0) < 0.5 {
        return near(rng, c, 120.0);
    }
    let (i, j) = c.cell;
    loop {
        let (a, b) = match rng.range(0.0, 4.0) as usize {
            0 if j > 0 => (node[i][j], node[i + 1][j]),
            1 if i + 2 < XS.len() => (node[i + 1][j], node[i + 1][j + 1]),
            2 if j + 2 < YS.len() => (node[i][j + 1], node[i + 1][j + 1]),
            3 if i > 0 => (node[i][j], node[i][j + 1]),
            _ => continue,
        };
        return lerp(a, b, rng.range(0.3, 0.7));
    }
}

fn make_facilities(rng: &mut Rng, node: &Grid, communities: &[Community]) -> Vec<Facility> {
    let fringe = communities.iter().filter(|c| c.cell.0 == FRINGE_COL);
    let fringe: Vec<Pt> = fringe.map(|c| c.centroid).collect();
    let mut out = Vec::new();
    for (k, c) in communities.iter().enumerate() {
        if UNDER_CONSTRUCTION.contains(&c.cell) {
            continue;
        }
        let base = NAMES[k % NAMES.len()];
        let even = (c.cell.0 + c.cell.1) % 2 == 0;
        // A market wherever one fits out of reach of the eastern fringe (8 tries).
        let mut market = (0..8).map(|_| site(rng, node, c));
        if let Some(p) = market.find(|&p| fringe.iter().all(|&f| dist(p, f) > 1_100.0)) {
            let kind = ["菜市场", "生鲜超市", "农贸市场"][k % 3];
            out.push(point(&format!("{base}{kind}"), "market", p));
        }
        if even {
            let p = site(rng, node, c);
            out.push(point(&format!("{base}社区卫生服务站"), "health", p));
        }
        let (school, p) = (if even { "幼儿园" } else { "小学" }, near(rng, c, 150.0));
        out.push(point(&format!("{base}{school}"), "education", p));
        if rng.range(0.0, 1.0) < 0.8 {
            let kind = ["健身广场", "口袋公园", "健身步道"][k % 3];
            let p = near(rng, c, 150.0);
            out.push(point(&format!("{base}{kind}"), "fitness", p));
        }
        if (c.cell.0 + 2 * c.cell.1) % 3 == 0 {
            let p = near(rng, c, 100.0);
            out.push(point(&format!("{base}日间照料中心"), "elderly_care", p));
        }
        if c.cell == SCHOOL {
            // In the community's hole, so inside no community at all.
            let (_, centre) = area_centroid(&c.rings[1..]);
            out.push(point("育才学校", "education", centre));
        }
    }
    // A market with two entrances, and a park and a sports ground drawn as polygons.
    let (name, entrances) = ("泰达时代生鲜市场", vec![(-60.0, 330.0), (10.0, 380.0)]);
    out.push(Facility::new(name, "market", Shape::MultiPoint, entrances));
    for (name, centre, w, h, deg) in GROUNDS {
        let pts = rect(centre, w, h, deg);
        out.push(Facility::new(name, "fitness", Shape::Polygon, pts));
    }
    for (name, category, x, y) in FIXED {
        out.push(point(name, category, (x, y)));
    }
    out
}

/// `k` distinct indices out of `0..n`, chosen by a partial Fisher-Yates shuffle.
fn pick(rng: &mut Rng, n: usize, k: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).collect();
    for i in 0..k.min(n) {
        let j = (i + rng.range(0.0, (n - i) as f64) as usize).min(n - 1);
        all.swap(i, j);
    }
    all.truncate(k.min(n));
    all
}

/// Community workers and social organisations for the plan's ratio indicators. Most
/// communities have 18-20 workers per 10,000 residents (rounded up); `SHORT_OF_WORKERS`
/// of them have 12-17 (rounded down, at least 1). Communities of 500 households or more mostly have 12-20 organisations,
/// `SHORT_OF_ORGS` of them 3-11; smaller ones have 3-10.
fn plan_indicators(rng: &mut Rng, communities: &mut [Community]) {
    let short = pick(rng, communities.len(), SHORT_OF_WORKERS);
    for (k, c) in communities.iter_mut().enumerate() {
        let pop = c.population as f64;
        c.workers = if short.contains(&k) {
            (pop * rng.range(12.0, 17.5) / 10_000.0).floor() as u64
        } else {
            (pop * rng.range(WORKERS_PER_10000, 20.0) / 10_000.0).ceil() as u64
        }
        .max(1);
    }
    let large: Vec<usize> = (0..communities.len())
        .filter(|&k| communities[k].households >= 500)
        .collect();
    let short: Vec<usize> = pick(rng, large.len(), SHORT_OF_ORGS)
        .into_iter()
        .map(|i| large[i])
        .collect();
    for (k, c) in communities.iter_mut().enumerate() {
        let (lo, hi) = if short.contains(&k) || c.households < 500 {
            (3, ORGS_AT_500_HOUSEHOLDS - 1)
        } else {
            (ORGS_AT_500_HOUSEHOLDS, 20)
        };
        c.social_orgs = (lo + rng.range(0.0, (hi - lo + 1) as f64) as u64).min(hi);
    }
}

/// A site inside a community near its centroid, 15 m clear of its edges; the search
/// widens from `radius` if the centre is taken by a hole.
fn inner_site(rng: &mut Rng, c: &Community, radius: f64) -> Pt {
    let (x, y) = c.centroid;
    for tries in 0..1_000 {
        let r = radius + 10.0 * (tries / 20) as f64;
        let p = (x + rng.range(-r, r), y + rng.range(-r, r));
        if c.holds(p, 15.0) {
            return p;
        }
    }
    c.centroid
}

/// One community (party-and-public) service centre per community, near its centre.
/// Most have 30-45 m² per 100 households (rounded up to 10 m²); `SHORT_OF_AREA` have
/// 18.5-29 m² (rounded to the m²).
fn service_centres(rng: &mut Rng, communities: &[Community]) -> Vec<Facility> {
    let short = pick(rng, communities.len(), SHORT_OF_AREA);
    let mut out = Vec::new();
    for (k, c) in communities.iter().enumerate() {
        let per_100 = c.households as f64 / 100.0;
        let area = if short.contains(&k) {
            (per_100 * rng.range(18.5, 29.0)).round()
        } else {
            (per_100 * rng.range(AREA_PER_100_HOUSEHOLDS, 45.0) / 10.0).ceil() * 10.0
        };
        let p = inner_site(rng, c, 60.0);
        let name = format!("{}党群服务中心", c.name);
        let mut f = point(&name, "service_centre", p);
        f.floor_area_m2 = Some(area as u64);
        out.push(f);
    }
    out
}

/// A residential building entrance: the demand layer.
struct Building {
    p: Pt,
    population: u64,
    community: usize,
}

/// Splits `total` into integers proportional to `weights` (largest remainder), so they
/// sum to `total` exactly.
fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let left = total - out.iter().sum::<u64>();
    for &i in order.iter().cycle().take(left as usize) {
        out[i] += 1;
    }
    out
}

/// Residential buildings, about one per 150-250 residents, in two to four compounds per
/// community (one in a community under construction): rows of buildings on a lattice
/// 40-55 m apart east-west and 45-60 m north-south. One corner of every community, a
/// disc around one of its vertices covering about a quarter of it, is left without
/// housing (a park, a school field, workshops). Populations vary from building to
/// building and sum exactly to the community's population.
fn make_buildings(rng: &mut Rng, communities: &[Community]) -> Vec<Building> {
    let mut out: Vec<Building> = Vec::new();
    for (k, c) in communities.iter().enumerate() {
        let ext = &c.rings[0];
        let (area, _) = area_centroid(&c.rings);
        let corner = ext[(rng.range(0.0, ext.len() as f64) as usize).min(ext.len() - 1)];
        let empty = 0.55 * area.sqrt();
        let free = |p: Pt| c.holds(p, 12.0) && dist(p, corner) > empty;
        let wanted = ((c.population as f64 / rng.range(150.0, 250.0)).round() as usize).max(3);
        let compounds = if UNDER_CONSTRUCTION.contains(&c.cell) {
            1
        } else {
            2 + (rng.range(0.0, 3.0) as usize).min(2)
        };
        // Compound centres well inside, apart from each other when there is room.
        let mut centres: Vec<Pt> = Vec::new();
        for tries in 0..400 {
            if centres.len() == compounds {
                break;
            }
            let p = inner_site(rng, c, 0.5 * area.sqrt());
            let apart = if tries < 300 { 180.0 } else { 90.0 };
            if free(p) && c.holds(p, 40.0) && centres.iter().all(|&q| dist(p, q) > apart) {
                centres.push(p);
            }
        }
        let weights: Vec<f64> = centres.iter().map(|_| rng.range(0.5, 1.5)).collect();
        let sizes = apportion(wanted as u64, &weights);
        let first = out.len();
        let mut heights: Vec<f64> = Vec::new();
        for (&centre, &size) in centres.iter().zip(&sizes) {
            let (sx, sy) = (rng.range(40.0, 55.0), rng.range(45.0, 60.0));
            let (s, co) = rng.range(-4.0, 4.0).to_radians().sin_cos();
            let (ax, ay) = (rng.range(1.0, 2.0), rng.range(1.0, 2.0));
            // High-rise or low-rise compound: residents per building, give or take.
            let storeys = rng.range(0.6, 1.6);
            let mut lattice: Vec<(f64, i32, i32)> = Vec::new();
            for i in -8..=8 {
                for j in -8..=8 {
                    let key = (f64::from(i).abs() / ax).max(f64::from(j).abs() / ay);
                    lattice.push((key, i, j));
                }
            }
            lattice.sort_by(|a, b| {
                let manhattan = |t: &(f64, i32, i32)| t.1.abs() + t.2.abs();
                a.0.total_cmp(&b.0)
                    .then(manhattan(a).cmp(&manhattan(b)))
                    .then((a.1, a.2).cmp(&(b.1, b.2)))
            });
            let mut placed = 0;
            for (_, i, j) in lattice {
                if placed == size {
                    break;
                }
                let (dx, dy) = (f64::from(i) * sx, f64::from(j) * sy);
                let (jx, jy) = (rng.range(-4.0, 4.0), rng.range(-4.0, 4.0));
                let p = (
                    centre.0 + dx * co - dy * s + jx,
                    centre.1 + dx * s + dy * co + jy,
                );
                if free(p) && out.iter().all(|b| dist(b.p, p) > 30.0) {
                    out.push(Building {
                        p,
                        population: 0,
                        community: k,
                    });
                    heights.push(storeys * rng.range(0.7, 1.3));
                    placed += 1;
                }
            }
        }
        if out.len() == first {
            // Never happens with this layout, but a community must have its people somewhere.
            out.push(Building {
                p: inner_site(rng, c, 60.0),
                population: 0,
                community: k,
            });
            heights.push(1.0);
        }
        for (b, n) in out[first..]
            .iter_mut()
            .zip(apportion(c.population, &heights))
        {
            b.population = n;
        }
    }
    out
}

/// A FeatureCollection with one feature per line, for readable diffs.
fn write_collection(path: &Path, features: &[Value]) -> Result<(), Box<dyn Error>> {
    let lines: Result<Vec<String>, _> = features.iter().map(serde_json::to_string).collect();
    let body = lines?.join(",\n");
    let text = format!("{{\"type\":\"FeatureCollection\",\"features\":[\n{body}\n]}}\n");
    std::fs::write(path, text)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let arg = std::env::args().nth(1);
    let out = Path::new(arg.as_deref().unwrap_or("data/teda"));
    std::fs::create_dir_all(out)?;
    let mut rng = Rng(SEED);

    // Street grid: intersections jittered by up to 25 m; roads 30-44 m wide, except
    // the 50 m central avenues (one each way).
    let mut node: Grid = [[(0.0, 0.0); YS.len()]; XS.len()];
    for (column, &x) in node.iter_mut().zip(&XS) {
        for (n, &y) in column.iter_mut().zip(&YS) {
            *n = (x + rng.range(-25.0, 25.0), y + rng.range(-25.0, 25.0));
        }
    }
    let mut half = |avenue: bool| if avenue { 25.0 } else { rng.range(15.0, 22.0) };
    let hx: Vec<f64> = (0..XS.len()).map(|i| half(i == 3)).collect();
    let hy: Vec<f64> = (0..YS.len()).map(|j| half(j == 2)).collect();

    let mut communities = make_communities(&mut rng, &node, &hx, &hy);
    let mut facilities = make_facilities(&mut rng, &node, &communities);

    // The later additions, each from its own generator.
    let mut rng = Rng(INDICATOR_SEED);
    plan_indicators(&mut rng, &mut communities);
    facilities.extend(service_centres(&mut rng, &communities));
    let buildings = make_buildings(&mut Rng(BUILDING_SEED), &communities);

    let features: Vec<Value> = communities.iter().map(Community::feature).collect();
    write_collection(&out.join("communities.geojson"), &features)?;
    let features: Vec<Value> = facilities
        .iter()
        .zip(1..)
        .map(|(f, i)| f.feature(i))
        .collect();
    write_collection(&out.join("facilities.geojson"), &features)?;
    let features: Vec<Value> = buildings
        .iter()
        .zip(1..)
        .map(|(b, i): (&Building, usize)| {
            let (id, community) = (format!("B{i:04}"), &communities[b.community].id);
            let properties = json!({"community": community, "id": id, "population": b.population});
            feature("Point", lonlat(b.p), properties)
        })
        .collect();
    write_collection(&out.join("buildings.geojson"), &features)?;

    let text = readme(&communities, &facilities, &buildings);
    std::fs::write(out.join("README.md"), text)?;
    let (nc, nf, nb) = (communities.len(), facilities.len(), buildings.len());
    let dir = out.display();
    println!("wrote {nc} communities, {nf} facilities and {nb} buildings to {dir}");
    Ok(())
}

fn readme(communities: &[Community], facilities: &[Facility], buildings: &[Building]) -> String {
    let (nc, nf, nb) = (communities.len(), facilities.len(), buildings.len());
    let population: u64 = communities.iter().map(|c| c.population).sum();
    let households: u64 = communities.iter().map(|c| c.households).sum();
    let named = |cell: (usize, usize)| -> String {
        let c = communities.iter().filter(|c| c.cell == cell);
        c.map(|c| format!("{} {}", c.id, c.name)).collect()
    };
    let building = UNDER_CONSTRUCTION.map(named).join(", ");
    let (lake, school) = (named(LAKE), named(SCHOOL));
    let mut table = String::new();
    for cat in CATEGORIES {
        let all: Vec<&Facility> = facilities.iter().filter(|f| f.category == cat).collect();
        let beyond = all.iter().filter(|f| f.outside()).count();
        table += &format!("| {cat} | {} | {beyond} |\n", all.len());
    }
    let beyond = facilities.iter().filter(|f| f.outside()).count();
    let markets = facilities.iter().filter(|f| f.category == "market");
    let markets: Vec<Pt> = markets.flat_map(|f| f.pts.clone()).collect();
    let mut fringe = String::new();
    for c in communities.iter().filter(|c| c.cell.0 == FRINGE_COL) {
        let to_centre = markets.iter().map(|&p| dist(p, c.centroid));
        let to_edge = markets.iter().map(|&p| to_ring(p, &c.rings[0]));
        let d = to_centre.fold(f64::INFINITY, f64::min);
        let e = to_edge.fold(f64::INFINITY, f64::min);
        let (id, name) = (&c.id, &c.name);
        fringe += &format!(
            "  - {id} {name}: nearest market {d:.0} m from the centroid, {e:.0} m from the edge\n"
        );
    }
    let indicators = indicator_notes(communities, facilities);
    let per_community: Vec<usize> = (0..nc)
        .map(|k| buildings.iter().filter(|b| b.community == k).count())
        .collect();
    let fewest = per_community.iter().min().copied().unwrap_or(0);
    let most = per_community.iter().max().copied().unwrap_or(0);
    let smallest = buildings.iter().map(|b| b.population).min().unwrap_or(0);
    let largest = buildings.iter().map(|b| b.population).max().unwrap_or(0);
    let centres = facilities.iter().filter(|f| f.category == "service_centre");
    let centres = centres.count();
    let first_centre = facilities
        .iter()
        .position(|f| f.category == "service_centre");
    let first_centre = format!("F{:03}", first_centre.unwrap_or(0) + 1);
    format!(
        r"# Sample district: a TEDA-like new town (synthetic)

Synthetic sample data for lifecircle, laid out like the east district of Tianjin TEDA
(Binhai New Area). Generated by `examples/make_sample_district.rs`, byte-identical on
every run; do not edit by hand, regenerate with:

    cargo run --example make_sample_district -- data/teda

## Files

- `communities.geojson`: {nc} residential communities (社区), Polygon features:
  superblocks on a street grid of about 3.5 km × 2.5 km, separated by 30-50 m roads.
- `facilities.geojson`: {nf} facilities, mostly Point features; two fitness facilities
  are Polygons (a park and a sports ground) and one market is a MultiPoint (two entrances).
- `buildings.geojson`: {nb} residential buildings, Point features at their entrances: a
  demand layer whose populations add up to each community's population.

All three are GeoJSON FeatureCollections with one feature per line.

## Coordinates

WGS 84 longitude/latitude in degrees (RFC 7946), 7 decimals. Exterior rings are
counter-clockwise, holes clockwise. The layout is made in local metres around
117.715° E, 39.045° N and converted with lon = lon0 + x / (111320·cos(lat0)),
lat = lat0 + y / 110574.

## Fields

- Communities: `id` (TEDA-01, ...), `name`, `street` (the sub-district: 新城街, 泰达街
  or 东海街), `population` (residents), `households`, and for the plan's ratio
  indicators `workers` (community workers, 社区工作者), `social_orgs` (registered
  community social organisations) and `urban` (1: every community is an urban one).
- Facilities: `id` (F001, ...), `name`, `category`: one of `market`, `fitness`,
  `health`, `education`, `elderly_care`, `service_centre`. Service centres also have
  `floor_area_m2` (integer, m²).
- Buildings: `id` (B0001, ...), `population` (residents, integer), `community` (the
  `id` of the community the building lies in).

## Contents

| category | facilities | beyond the boundary road |
|---|---:|---:|
{table}| **total** | **{nf}** | **{beyond}** |

Total population {population} in {households} households.

## Plan indicators

The Tianjin 2021-2025 community service plan (专栏1) sets ratios per community: a
community service centre of at least 30 m² per 100 households, 18 community workers per
10,000 residents, and 12 social organisations in every urban community of 500 households
or more. The sample district meets them in most communities and misses each in a few
(the community's value in brackets):

{indicators}
Every community has one service centre ({centres} in all, 社区党群服务中心, {first_centre} onwards),
a Point near its centre and inside it. Its floor area is 30-45 m² per 100 households
rounded up to 10 m², or 18.5-29 m² rounded to the m² where it falls short. Workers are
18-20 per 10,000 residents rounded up, or 12-17.5 rounded down (at least 1) where they
fall short. Social organisations are 12-20, or 3-11 where they fall short and in the
communities of fewer than 500 households.

## Buildings

`buildings.geojson` is a demand layer: where people live inside each community, so
coverage can be weighted by residents rather than spread evenly over the area. Each
community has about one building per 150-250 residents ({fewest}-{most} per community,
{smallest}-{largest} residents per building), grouped in two to four compounds (one in a
community under construction) laid out as rows of buildings 40-55 m apart. One corner of
every community, about a quarter of it around one of its vertices, has no housing (a
park, a sports field or workshops), and the lake and the school compound have none
either, so demand is uneven across each community. Building populations vary by
compound (high-rise or low-rise) and building, and sum exactly to the community's
`population`; the community totals are unchanged.

## Built-in gaps and edge cases

- Eastern fringe: no market within 1 km of the community centroid (their western
  edges are within 1 km of one, so measured by area they are partly covered):
{fringe}- Under construction, sparse and without facilities of their own: {building}.
- Holes: {lake} has a lake; {school} has a school compound, whose
  育才学校 lies in the hole and so inside no community.
- {beyond} facilities lie 100-600 m beyond the district boundary road and still serve the
  district; others sit on inner roads or in the non-residential downtown blocks.
- Plan indicators: a few communities short of each ratio (see above).

## Licence

MIT OR Apache-2.0, the same as the project. The data are entirely synthetic and contain
no third-party data: community names are borrowed for flavour, but the geometry,
populations, facilities, buildings and indicator values are invented and do not
describe real places.
"
    )
}

/// The README's list of communities short of each plan ratio.
fn indicator_notes(communities: &[Community], facilities: &[Facility]) -> String {
    let nc = communities.len();
    let short_area: Vec<String> = communities
        .iter()
        .filter_map(|c| {
            let name = format!("{}党群服务中心", c.name);
            let centre = facilities.iter().find(|f| f.name == name)?;
            let per_100 = centre.floor_area_m2? as f64 / c.households as f64 * 100.0;
            (per_100 < AREA_PER_100_HOUSEHOLDS).then(|| format!("{} ({per_100:.1})", c.id))
        })
        .collect();
    let short_workers: Vec<String> = communities
        .iter()
        .filter(|c| c.workers_per_10000() < WORKERS_PER_10000)
        .map(|c| format!("{} ({:.1})", c.id, c.workers_per_10000()))
        .collect();
    let judged: Vec<&Community> = communities.iter().filter(|c| c.households >= 500).collect();
    let short_orgs: Vec<String> = judged
        .iter()
        .filter(|c| c.social_orgs < ORGS_AT_500_HOUSEHOLDS)
        .map(|c| format!("{} ({})", c.id, c.social_orgs))
        .collect();
    let small: Vec<&str> = communities
        .iter()
        .filter(|c| c.households < 500)
        .map(|c| c.id.as_str())
        .collect();
    let (na, nw, no, nj) = (
        short_area.len(),
        short_workers.len(),
        short_orgs.len(),
        judged.len(),
    );
    let items = [
        format!(
            "Service-centre floor area, 30 m² per 100 households: {na} of {nc} communities \
             fall short: {}.",
            short_area.join(", ")
        ),
        format!(
            "Community workers, 18 per 10,000 residents: {nw} of {nc} fall short: {}.",
            short_workers.join(", ")
        ),
        format!(
            "Social organisations, 12 per community of 500 households or more: {no} of \
             the {nj} such communities fall short: {}; {} have fewer than 500 households \
             and are not judged.",
            short_orgs.join(", "),
            small.join(" and ")
        ),
    ];
    items.iter().map(|item| bullet(item)).collect()
}

/// A Markdown list item wrapped at 88 columns, continuation lines indented by two.
fn bullet(text: &str) -> String {
    let mut out = String::from("-");
    let mut width = 1;
    for word in text.split(' ') {
        let w = word.chars().count();
        if width + 1 + w > 88 {
            out += "\n ";
            width = 1;
        }
        out += " ";
        out += word;
        width += 1 + w;
    }
    out + "\n"
}
