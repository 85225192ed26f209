//! Generates the synthetic sample district used by lifecircle's demo and tests:
//! `communities.geojson`, `facilities.geojson` and a `README.md` describing them,
//! written to the folder given as the only argument (default `data/teda`):
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

use serde_json::{json, Value};
use std::error::Error;
use std::f64::consts::TAU;
use std::path::Path;

const LON0: f64 = 117.715;
const LAT0: f64 = 39.045;
const SEED: u64 = 0x7EDA_2015_0015_1000;
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
const CATEGORIES: [&str; 5] = ["market", "fitness", "health", "education", "elderly_care"];
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
}

impl Community {
    fn feature(&self) -> Value {
        let rings: Vec<Value> = self.rings.iter().map(|r| ring_json(r)).collect();
        let properties = json!({
            "households": self.households, "id": self.id, "name": self.name,
            "population": self.population, "street": self.street,
        });
        feature("Polygon", rings.into(), properties)
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
}

impl Facility {
    fn new(name: &str, category: &'static str, shape: Shape, pts: Vec<Pt>) -> Self {
        let name = name.to_string();
        Facility {
            name,
            category,
            shape,
            pts,
        }
    }
    fn feature(&self, number: usize) -> Value {
        let (kind, coordinates) = match self.shape {
            Shape::Point => ("Point", lonlat(self.pts[0])),
            Shape::MultiPoint => ("MultiPoint", self.pts.iter().map(|&p| lonlat(p)).collect()),
            Shape::Polygon => ("Polygon", json!([ring_json(&self.pts)])),
        };
        let id = format!("F{number:03}");
        let properties = json!({"category": self.category, "id": id, "name": self.name});
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

    let communities = make_communities(&mut rng, &node, &hx, &hy);
    let facilities = make_facilities(&mut rng, &node, &communities);

    let features: Vec<Value> = communities.iter().map(Community::feature).collect();
    write_collection(&out.join("communities.geojson"), &features)?;
    let features: Vec<Value> = facilities
        .iter()
        .zip(1..)
        .map(|(f, i)| f.feature(i))
        .collect();
    write_collection(&out.join("facilities.geojson"), &features)?;

    std::fs::write(out.join("README.md"), readme(&communities, &facilities))?;
    let (nc, nf, dir) = (communities.len(), facilities.len(), out.display());
    println!("wrote {nc} communities and {nf} facilities to {dir}");
    Ok(())
}

fn readme(communities: &[Community], facilities: &[Facility]) -> String {
    let (nc, nf) = (communities.len(), facilities.len());
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

Both are GeoJSON FeatureCollections with one feature per line.

## Coordinates

WGS 84 longitude/latitude in degrees (RFC 7946), 7 decimals. Exterior rings are
counter-clockwise, holes clockwise. The layout is made in local metres around
117.715° E, 39.045° N and converted with lon = lon0 + x / (111320·cos(lat0)),
lat = lat0 + y / 110574.

## Fields

- Communities: `id` (TEDA-01, ...), `name`, `street` (the sub-district: 新城街, 泰达街
  or 东海街), `population` (residents), `households`.
- Facilities: `id` (F001, ...), `name`, `category`: one of `market`, `fitness`,
  `health`, `education`, `elderly_care`.

## Contents

| category | facilities | beyond the boundary road |
|---|---:|---:|
{table}| **total** | **{nf}** | **{beyond}** |

Total population {population} in {households} households.

## Built-in gaps and edge cases

- Eastern fringe: no market within 1 km of the community centroid (their western
  edges are within 1 km of one, so measured by area they are partly covered):
{fringe}- Under construction, sparse and without facilities of their own: {building}.
- Holes: {lake} has a lake; {school} has a school compound, whose
  育才学校 lies in the hole and so inside no community.
- {beyond} facilities lie 100-600 m beyond the district boundary road and still serve the
  district; others sit on inner roads or in the non-residential downtown blocks.

## Licence

MIT OR Apache-2.0, the same as the project. The data are entirely synthetic and contain
no third-party data: community names are borrowed for flavour, but the geometry,
populations and facilities are invented and do not describe real places.
"
    )
}
