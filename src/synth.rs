//! Synthetic cities at any scale, for benchmarks: communities that tile an area, with
//! populations and households, facilities of several categories clustered where people
//! live, and optionally weighted demand points.
//!
//! The communities are a jittered grid: every grid vertex is moved at random, and every
//! edge gets a midpoint pushed sideways, so each community is an irregular octagon. Two
//! neighbours build their common edge from the same vertices, so the communities tile the
//! area with no gap and no overlap by construction; one in twenty has a hole (a lake, a
//! school compound), which belongs to no community. People are densest around a few city
//! centres; facilities are placed near people (three in four, in a community drawn by
//! population) or anywhere (one in four).
//!
//! Everything is laid out in metres around a centre and written as WGS 84 longitude and
//! latitude by the ellipsoid's scale at the centre (equirectangular), rounded to 7 decimals (1 cm); shared
//! vertices stay shared after rounding. A fixed seed gives the same bytes on every machine:
//! the generator is splitmix64, with one stream per kind of draw.

use std::f64::consts::TAU;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use geo::{Area, Contains, Coord, LineString, Polygon};

use crate::error::{Error, Result};

/// What city to make.
#[derive(Debug, Clone, PartialEq)]
pub struct CitySpec {
    /// Number of communities.
    pub communities: usize,
    /// Facilities of each category.
    pub facilities_per_category: usize,
    /// Categories and the radius the written plan gives each, m.
    pub categories: Vec<(String, f64)>,
    /// Weighted demand points (0: no demand layer).
    pub demand_points: usize,
    /// Seed of every random draw.
    pub seed: u64,
    /// Distance between grid vertices, m: a community covers about its square.
    pub spacing_m: f64,
    /// Centre of the city, WGS 84 longitude and latitude.
    pub centre: Coord<f64>,
    /// Distance between street junctions, m; `None`: no street network.
    pub street_spacing_m: Option<f64>,
}

impl Default for CitySpec {
    /// 1,000 communities of about 400 m × 400 m near Tianjin, 100 facilities in each of four
    /// categories (the radii of GB 50180-2018's 5-, 10- and 15-minute life circles).
    fn default() -> Self {
        CitySpec {
            communities: 1000,
            facilities_per_category: 100,
            categories: default_categories(),
            demand_points: 0,
            seed: 1,
            spacing_m: 400.0,
            centre: Coord { x: 117.2, y: 39.1 },
            street_spacing_m: None,
        }
    }
}

/// market 500 m, health 1,000 m, fitness 1,000 m, elderly_care 300 m.
pub fn default_categories() -> Vec<(String, f64)> {
    [
        ("market", 500.0),
        ("health", 1000.0),
        ("fitness", 1000.0),
        ("elderly_care", 300.0),
    ]
    .into_iter()
    .map(|(n, r)| (n.to_string(), r))
    .collect()
}

/// How far grid vertices move, as a share of the spacing (each axis).
const VERTEX_JITTER: f64 = 0.18;
/// How far an edge's midpoint moves sideways, as a share of the spacing.
const MIDPOINT_JITTER: f64 = 0.10;
/// The largest hole, as its circumradius over the spacing: it stays clear of every edge.
const HOLE_RADIUS: f64 = 0.08;
/// One community in this many has a hole.
const HOLE_EVERY: u64 = 20;
/// WGS 84: semi-major axis, m, and first eccentricity squared.
const WGS84_A: f64 = 6_378_137.0;
const WGS84_E2: f64 = 0.006_694_379_990_14;

/// splitmix64: tiny, and identical on every platform.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    /// A stream of its own for each kind of draw, so adding one leaves the others alone.
    fn stream(seed: u64, kind: u64) -> Rng {
        Rng(seed ^ kind.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// A city centre: people per km² peak there and fall off with distance.
struct Centre {
    at: Coord<f64>,
    peak: f64,
    sigma_m: f64,
}

/// A generated city, in local metres (x east, y north, origin at the south-west corner).
#[derive(Debug, Clone)]
pub struct City {
    spec: CitySpec,
    /// Grid columns and rows; the last row may be partly filled.
    nx: usize,
    ny: usize,
    /// Grid vertices, (nx + 1) × (ny + 1), row by row.
    vertices: Vec<Coord<f64>>,
    /// Midpoints of the horizontal edges, nx × (ny + 1).
    across: Vec<Coord<f64>>,
    /// Midpoints of the vertical edges, (nx + 1) × ny.
    up: Vec<Coord<f64>>,
    /// Hole circumradius per community, m (0: none).
    holes: Vec<f32>,
    /// Residents and households per community.
    population: Vec<u32>,
    households: Vec<u32>,
    /// Facilities: position and category (index into the spec's categories).
    facilities: Vec<(Coord<f64>, u8)>,
    /// Demand points: position and weight.
    demand: Vec<(Coord<f64>, f64)>,
}

/// What [`City::write`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The files, in the order written.
    pub files: Vec<PathBuf>,
    /// Total residents.
    pub population: u64,
    /// Width and height of the area, km.
    pub size_km: (f64, f64),
    /// West, south, east, north, degrees.
    pub extent: [f64; 4],
}

impl City {
    /// Lays out the city the spec describes.
    pub fn generate(spec: &CitySpec) -> Result<City> {
        check_spec(spec)?;
        let n = spec.communities;
        let nx = (n as f64).sqrt().ceil() as usize;
        let ny = n.div_ceil(nx);
        let vertices = grid_vertices(spec, nx, ny);
        let (across, up) = edge_midpoints(spec, nx, ny, &vertices);
        let holes = holes(spec);
        let centres = city_centres(spec, nx, ny);
        let mut city = City {
            spec: spec.clone(),
            nx,
            ny,
            vertices,
            across,
            up,
            holes,
            population: Vec::with_capacity(n),
            households: Vec::with_capacity(n),
            facilities: Vec::new(),
            demand: Vec::new(),
        };
        city.settle(&centres);
        let by_population = ByPopulation::new(&city.population);
        city.place_facilities(&by_population);
        if spec.demand_points > 0 {
            city.place_demand(&by_population);
        }
        Ok(city)
    }

    /// Width and height of the area, m.
    fn size_m(&self) -> (f64, f64) {
        let s = self.spec.spacing_m;
        (self.nx as f64 * s, self.ny as f64 * s)
    }

    /// Residents and households of every community, densest near the city centres.
    fn settle(&mut self, centres: &[Centre]) {
        let mut rng = Rng::stream(self.spec.seed, 5);
        for k in 0..self.spec.communities {
            let c = self.centre_of(k);
            let density: f64 = 1_000.0
                + centres
                    .iter()
                    .map(|z| {
                        let d2 = (c.x - z.at.x).powi(2) + (c.y - z.at.y).powi(2);
                        z.peak * (-d2 / (2.0 * z.sigma_m * z.sigma_m)).exp()
                    })
                    .sum::<f64>();
            let area_km2 = self.community(k).unsigned_area() / 1e6;
            let people = (density * area_km2 * rng.range(0.6, 1.5)).round();
            self.population.push(people as u32);
            self.households
                .push((people / rng.range(2.4, 3.0)).round() as u32);
        }
    }

    /// Facilities near people, drawn community by population, or anywhere.
    fn place_facilities(&mut self, by_population: &ByPopulation) {
        let s = self.spec.spacing_m;
        let (w, h) = self.size_m();
        let mut rng = Rng::stream(self.spec.seed, 6);
        for cat in 0..self.spec.categories.len() {
            for _ in 0..self.spec.facilities_per_category {
                let at = if rng.unit() < 0.75 {
                    let c = self.centre_of(by_population.draw(&mut rng));
                    Coord {
                        x: c.x + rng.range(-0.4, 0.4) * s,
                        y: c.y + rng.range(-0.4, 0.4) * s,
                    }
                } else {
                    Coord {
                        x: rng.range(0.0, w),
                        y: rng.range(0.0, h),
                    }
                };
                self.facilities.push((at, cat as u8));
            }
        }
    }

    /// Demand points: communities drawn by population, a point inside each draw, the
    /// community's residents shared among its points.
    fn place_demand(&mut self, by_population: &ByPopulation) {
        let s = self.spec.spacing_m;
        let mut rng = Rng::stream(self.spec.seed, 7);
        let mut picks: Vec<(usize, Coord<f64>)> = Vec::with_capacity(self.spec.demand_points);
        let mut points_in = vec![0u32; self.spec.communities];
        for _ in 0..self.spec.demand_points {
            let k = by_population.draw(&mut rng);
            let shape = self.community(k);
            let c = self.centre_of(k);
            let at = loop {
                let p = Coord {
                    x: c.x + rng.range(-0.5, 0.5) * s,
                    y: c.y + rng.range(-0.5, 0.5) * s,
                };
                if shape.contains(&p) {
                    break p;
                }
            };
            points_in[k] += 1;
            picks.push((k, at));
        }
        self.demand = picks
            .into_iter()
            .map(|(k, at)| (at, f64::from(self.population[k]) / f64::from(points_in[k])))
            .collect();
    }

    /// Number of communities.
    pub fn communities(&self) -> usize {
        self.spec.communities
    }

    /// The facilities: position (local metres) and category name.
    pub fn facilities(&self) -> impl Iterator<Item = (Coord<f64>, &str)> {
        self.facilities
            .iter()
            .map(|(c, k)| (*c, self.spec.categories[*k as usize].0.as_str()))
    }

    /// The demand points: position (local metres) and weight.
    pub fn demand(&self) -> &[(Coord<f64>, f64)] {
        &self.demand
    }

    /// Residents of community `k`.
    pub fn population(&self, k: usize) -> u32 {
        self.population[k]
    }

    /// Grid columns and rows.
    pub fn grid(&self) -> (usize, usize) {
        (self.nx, self.ny)
    }

    /// The middle of community `k`'s grid cell (the mean of its corners).
    fn centre_of(&self, k: usize) -> Coord<f64> {
        let (i, j) = (k % self.nx, k / self.nx);
        let v = |i: usize, j: usize| self.vertices[j * (self.nx + 1) + i];
        let sum = v(i, j) + v(i + 1, j) + v(i + 1, j + 1) + v(i, j + 1);
        sum / 4.0
    }

    /// Community `k`'s boundary in local metres: exterior counter-clockwise, a hole
    /// clockwise.
    pub fn community(&self, k: usize) -> Polygon<f64> {
        let (nx, i, j) = (self.nx, k % self.nx, k / self.nx);
        let v = |i: usize, j: usize| self.vertices[j * (nx + 1) + i];
        let ring = vec![
            v(i, j),
            self.across[j * nx + i],
            v(i + 1, j),
            self.up[j * (nx + 1) + i + 1],
            v(i + 1, j + 1),
            self.across[(j + 1) * nx + i],
            v(i, j + 1),
            self.up[j * (nx + 1) + i],
            v(i, j),
        ];
        let r = f64::from(self.holes[k]);
        let holes = if r > 0.0 {
            let c = self.centre_of(k);
            let turn = (k % 7) as f64 / 7.0;
            let hole: Vec<Coord<f64>> = (0..=6)
                .map(|m| {
                    // Clockwise: angles decrease.
                    let a = TAU * (turn - (m % 6) as f64 / 6.0);
                    Coord {
                        x: c.x + r * a.cos(),
                        y: c.y + r * a.sin(),
                    }
                })
                .collect();
            vec![LineString(hole)]
        } else {
            Vec::new()
        };
        Polygon::new(LineString(ring), holes)
    }

    /// Local metres to WGS 84 longitude and latitude (equirectangular about the centre).
    pub fn lonlat(&self, c: Coord<f64>) -> Coord<f64> {
        let (w, h) = (
            self.nx as f64 * self.spec.spacing_m,
            self.ny as f64 * self.spec.spacing_m,
        );
        // Metres per radian along the meridian and the parallel at the centre.
        let phi = self.spec.centre.y.to_radians();
        let q = 1.0 - WGS84_E2 * phi.sin().powi(2);
        let meridian = WGS84_A * (1.0 - WGS84_E2) / q.powf(1.5);
        let parallel = WGS84_A / q.sqrt() * phi.cos();
        Coord {
            x: self.spec.centre.x + ((c.x - w / 2.0) / parallel).to_degrees(),
            y: self.spec.centre.y + ((c.y - h / 2.0) / meridian).to_degrees(),
        }
    }

    /// Writes `communities.geojson`, `facilities.geojson` and `city.toml`, a plan measuring
    /// every category, into `dir`; with demand points also `demand.geojson` and
    /// `city-demand.toml`, the plan counting people at them.
    pub fn write(&self, dir: &Path) -> Result<Written> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files = Vec::new();
        let path = dir.join("communities.geojson");
        write_file(&path, |out| self.write_communities(out))?;
        files.push(path);
        let path = dir.join("facilities.geojson");
        write_file(&path, |out| self.write_facilities(out))?;
        files.push(path);
        if !self.demand.is_empty() {
            let path = dir.join("demand.geojson");
            write_file(&path, |out| self.write_demand(out))?;
            files.push(path);
        }
        if let Some(spacing) = self.spec.street_spacing_m {
            let path = dir.join("streets.geojson");
            write_file(&path, |out| self.write_streets(out, spacing))?;
            files.push(path);
        }
        let path = dir.join("city.toml");
        write_file(&path, |out| out.write_all(self.plan(false).as_bytes()))?;
        files.push(path);
        if !self.demand.is_empty() {
            let path = dir.join("city-demand.toml");
            write_file(&path, |out| out.write_all(self.plan(true).as_bytes()))?;
            files.push(path);
        }
        let (w, h) = (
            self.nx as f64 * self.spec.spacing_m,
            self.ny as f64 * self.spec.spacing_m,
        );
        let sw = self.lonlat(Coord { x: 0.0, y: 0.0 });
        let ne = self.lonlat(Coord { x: w, y: h });
        Ok(Written {
            files,
            population: self.population.iter().map(|&p| u64::from(p)).sum(),
            size_km: (w / 1000.0, h / 1000.0),
            extent: [sw.x, sw.y, ne.x, ne.y],
        })
    }

    /// The plan: every category at its radius, no coverage curve (benchmarks time the
    /// coverage itself); people counted at the demand points if `with_demand`.
    pub fn plan(&self, with_demand: bool) -> String {
        let mut out = String::from(
            "# A synthetic city written by `lifecircle synth`.\n\n[communities]\n\
             path = \"communities.geojson\"\npopulation = \"population\"\n\
             households = \"households\"\n\n[facilities]\npath = \"facilities.geojson\"\n",
        );
        if with_demand {
            out.push_str("\n[demand]\npath = \"demand.geojson\"\nweight = \"population\"\n");
        }
        if self.spec.street_spacing_m.is_some() {
            out.push_str("\n[network]\npath = \"streets.geojson\"\n");
        }
        for (name, radius) in &self.spec.categories {
            out.push_str(&format!(
                "\n[[category]]\nname = \"{name}\"\nradius_m = {radius}\n"
            ));
        }
        out.push_str("\n[curve]\nenabled = false\n\n[output]\ndir = \"out\"\n");
        out
    }

    fn write_communities(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        let district_cols = self.nx.div_ceil(10).max(1);
        for k in 0..self.spec.communities {
            if k > 0 {
                out.write_all(b",\n")?;
            }
            let (i, j) = (k % self.nx, k / self.nx);
            let district = (j / district_cols) * 10 + i / district_cols;
            write!(
                out,
                "{{\"type\":\"Feature\",\"properties\":{{\"id\":\"c{k}\",\"name\":\"C{j}-{i}\",\
                 \"district\":\"D{district}\",\"population\":{},\"households\":{}}},\
                 \"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[",
                self.population[k], self.households[k]
            )?;
            let shape = self.community(k);
            for (r, ring) in std::iter::once(shape.exterior())
                .chain(shape.interiors())
                .enumerate()
            {
                if r > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(b"[")?;
                for (m, c) in ring.0.iter().enumerate() {
                    if m > 0 {
                        out.write_all(b",")?;
                    }
                    self.write_position(out, *c)?;
                }
                out.write_all(b"]")?;
            }
            out.write_all(b"]}}")?;
        }
        out.write_all(b"\n]}\n")
    }

    fn write_facilities(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        for (k, (at, category)) in self.facilities().enumerate() {
            if k > 0 {
                out.write_all(b",\n")?;
            }
            write!(
                out,
                "{{\"type\":\"Feature\",\"properties\":{{\"id\":\"f{k}\",\"category\":\"{category}\"}},\
                 \"geometry\":{{\"type\":\"Point\",\"coordinates\":"
            )?;
            self.write_position(out, at)?;
            out.write_all(b"}}")?;
        }
        out.write_all(b"\n]}\n")
    }

    fn write_demand(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        for (k, (at, weight)) in self.demand.iter().enumerate() {
            if k > 0 {
                out.write_all(b",\n")?;
            }
            write!(
                out,
                "{{\"type\":\"Feature\",\"properties\":{{\"id\":\"d{k}\",\"population\":{}}},\
                 \"geometry\":{{\"type\":\"Point\",\"coordinates\":",
                fixed(*weight, 3)
            )?;
            self.write_position(out, *at)?;
            out.write_all(b"}}")?;
        }
        out.write_all(b"\n]}\n")
    }

    /// The streets: a grid of junctions `spacing` apart, each moved at random; every side
    /// of a block is a way bent at a midpoint pushed sideways. One side in twelve is
    /// missing (a link that is not there), one in twenty stops halfway (a dead end).
    pub fn streets(&self, spacing: f64) -> Vec<Vec<Coord<f64>>> {
        let (w, h) = (
            self.nx as f64 * self.spec.spacing_m,
            self.ny as f64 * self.spec.spacing_m,
        );
        let (mx, my) = (
            (w / spacing).round().max(1.0) as usize,
            (h / spacing).round().max(1.0) as usize,
        );
        let (sx, sy) = (w / mx as f64, h / my as f64);
        let mut rng = Rng::stream(self.spec.seed, 8);
        let mut junctions = Vec::with_capacity((mx + 1) * (my + 1));
        for j in 0..=my {
            for i in 0..=mx {
                junctions.push(Coord {
                    x: i as f64 * sx + rng.range(-0.15, 0.15) * sx,
                    y: j as f64 * sy + rng.range(-0.15, 0.15) * sy,
                });
            }
        }
        let at = |i: usize, j: usize| junctions[j * (mx + 1) + i];
        let mut ways = Vec::new();
        let mut side = |a: Coord<f64>, b: Coord<f64>, rng: &mut Rng| {
            let draw = rng.unit();
            let bend = rng.range(-0.08, 0.08);
            let d = b - a;
            let mid = Coord {
                x: (a.x + b.x) / 2.0 - d.y * bend,
                y: (a.y + b.y) / 2.0 + d.x * bend,
            };
            if draw < 1.0 / 12.0 {
                return;
            }
            if draw < 1.0 / 12.0 + 1.0 / 20.0 {
                ways.push(vec![a, mid]);
            } else {
                ways.push(vec![a, mid, b]);
            }
        };
        for j in 0..=my {
            for i in 0..=mx {
                if i < mx {
                    side(at(i, j), at(i + 1, j), &mut rng);
                }
                if j < my {
                    side(at(i, j), at(i, j + 1), &mut rng);
                }
            }
        }
        ways
    }

    fn write_streets(&self, out: &mut dyn Write, spacing: f64) -> std::io::Result<()> {
        out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        for (k, way) in self.streets(spacing).iter().enumerate() {
            if k > 0 {
                out.write_all(b",\n")?;
            }
            write!(
                out,
                "{{\"type\":\"Feature\",\"properties\":{{\"id\":\"s{k}\"}},\
                 \"geometry\":{{\"type\":\"LineString\",\"coordinates\":["
            )?;
            for (n, c) in way.iter().enumerate() {
                if n > 0 {
                    out.write_all(b",")?;
                }
                self.write_position(out, *c)?;
            }
            out.write_all(b"]}}")?;
        }
        out.write_all(b"\n]}\n")
    }

    fn write_position(&self, out: &mut dyn Write, c: Coord<f64>) -> std::io::Result<()> {
        let ll = self.lonlat(c);
        write!(out, "[{},{}]", fixed(ll.x, 7), fixed(ll.y, 7))
    }
}

/// Grid vertices, (nx + 1) × (ny + 1), row by row: corners fixed, boundary vertices slide
/// along the boundary only, so the communities tile the rectangle when every row is full.
fn grid_vertices(spec: &CitySpec, nx: usize, ny: usize) -> Vec<Coord<f64>> {
    let s = spec.spacing_m;
    let mut rng = Rng::stream(spec.seed, 1);
    let mut vertices = Vec::with_capacity((nx + 1) * (ny + 1));
    for j in 0..=ny {
        for i in 0..=nx {
            let dx = rng.range(-VERTEX_JITTER, VERTEX_JITTER) * s;
            let dy = rng.range(-VERTEX_JITTER, VERTEX_JITTER) * s;
            let dx = if i == 0 || i == nx { 0.0 } else { dx };
            let dy = if j == 0 || j == ny { 0.0 } else { dy };
            vertices.push(Coord {
                x: i as f64 * s + dx,
                y: j as f64 * s + dy,
            });
        }
    }
    vertices
}

/// The midpoints of the horizontal edges (nx × (ny + 1)) and of the vertical ones
/// ((nx + 1) × ny), pushed sideways; not on the outer boundary.
fn edge_midpoints(
    spec: &CitySpec,
    nx: usize,
    ny: usize,
    vertices: &[Coord<f64>],
) -> (Vec<Coord<f64>>, Vec<Coord<f64>>) {
    let s = spec.spacing_m;
    let vertex = |i: usize, j: usize| vertices[j * (nx + 1) + i];
    let mut rng = Rng::stream(spec.seed, 2);
    let mut midpoint = |a: Coord<f64>, b: Coord<f64>, outer: bool| {
        let t = rng.range(-MIDPOINT_JITTER, MIDPOINT_JITTER) * s;
        let t = if outer { 0.0 } else { t };
        let d = b - a;
        let len = d.x.hypot(d.y);
        Coord {
            x: (a.x + b.x) / 2.0 - d.y / len * t,
            y: (a.y + b.y) / 2.0 + d.x / len * t,
        }
    };
    let mut across = Vec::with_capacity(nx * (ny + 1));
    for j in 0..=ny {
        for i in 0..nx {
            across.push(midpoint(vertex(i, j), vertex(i + 1, j), j == 0 || j == ny));
        }
    }
    let mut up = Vec::with_capacity((nx + 1) * ny);
    for j in 0..ny {
        for i in 0..=nx {
            up.push(midpoint(vertex(i, j), vertex(i, j + 1), i == 0 || i == nx));
        }
    }
    (across, up)
}

/// Each community's hole circumradius, m (0: none); one in `HOLE_EVERY` has one.
fn holes(spec: &CitySpec) -> Vec<f32> {
    let s = spec.spacing_m;
    let mut rng = Rng::stream(spec.seed, 3);
    (0..spec.communities)
        .map(|_| {
            let has = rng.next_u64() % HOLE_EVERY == 0;
            let r = rng.range(0.5, 1.0) * HOLE_RADIUS * s;
            if has {
                r as f32
            } else {
                0.0
            }
        })
        .collect()
}

/// City centres: one per 20,000 communities or so, the first in the middle of the
/// nx × ny grid.
fn city_centres(spec: &CitySpec, nx: usize, ny: usize) -> Vec<Centre> {
    let s = spec.spacing_m;
    let (w, h) = (nx as f64 * s, ny as f64 * s);
    let mut rng = Rng::stream(spec.seed, 4);
    (0..(spec.communities / 20_000).max(1))
        .map(|k| Centre {
            at: if k == 0 {
                Coord {
                    x: w / 2.0,
                    y: h / 2.0,
                }
            } else {
                Coord {
                    x: rng.range(0.0, w),
                    y: rng.range(0.0, h),
                }
            },
            peak: rng.range(10_000.0, 30_000.0),
            sigma_m: rng.range(0.08, 0.2) * w.min(h).min(40_000.0),
        })
        .collect()
}

/// Draws communities at random, each as likely as its residents (plus one).
struct ByPopulation {
    /// Running totals of residents plus one, community by community.
    cumulative: Vec<f64>,
    total: f64,
}

impl ByPopulation {
    fn new(population: &[u32]) -> ByPopulation {
        let cumulative: Vec<f64> = population
            .iter()
            .scan(0.0, |acc, &p| {
                *acc += f64::from(p) + 1.0;
                Some(*acc)
            })
            .collect();
        let total = cumulative.last().copied().unwrap_or(0.0);
        ByPopulation { cumulative, total }
    }

    /// A community, by position.
    fn draw(&self, rng: &mut Rng) -> usize {
        let t = rng.unit() * self.total;
        self.cumulative
            .partition_point(|&c| c <= t)
            .min(self.cumulative.len() - 1)
    }
}

fn check_spec(spec: &CitySpec) -> Result<()> {
    let bad = |setting: &str, message: String| {
        Err(Error::Setting {
            setting: setting.into(),
            message,
        })
    };
    if spec.communities == 0 {
        return bad("communities", "expected at least 1".into());
    }
    if spec.categories.is_empty() || spec.categories.len() > 255 {
        return bad(
            "categories",
            format!("{} given, expected 1 to 255", spec.categories.len()),
        );
    }
    if let Some((name, r)) = spec
        .categories
        .iter()
        .find(|(_, r)| !(r.is_finite() && *r > 0.0))
    {
        return bad("categories", format!("{name}: radius {r}, expected > 0"));
    }
    if !(spec.spacing_m.is_finite() && (10.0..=10_000.0).contains(&spec.spacing_m)) {
        return bad(
            "spacing",
            format!("is {} m, expected 10 to 10,000", spec.spacing_m),
        );
    }
    if let Some(s) = spec.street_spacing_m {
        if !(s.is_finite() && (10.0..=10_000.0).contains(&s)) {
            return bad("street spacing", format!("is {s} m, expected 10 to 10,000"));
        }
    }
    let c = spec.centre;
    if !(c.x.abs() <= 180.0 && c.y.abs() <= 80.0) {
        return bad(
            "centre",
            format!("({}, {}) is not a longitude and latitude", c.x, c.y),
        );
    }
    Ok(())
}

fn write_file(path: &Path, body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let fail = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(fail)?);
    body(&mut out).map_err(fail)?;
    out.flush().map_err(fail)
}

/// `v` with `decimals` decimals, trailing zeros kept: the same text for the same value.
fn fixed(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::{BooleanOps, Intersects, Validation};

    fn spec(communities: usize, seed: u64) -> CitySpec {
        CitySpec {
            communities,
            facilities_per_category: 30,
            demand_points: 200,
            seed,
            ..CitySpec::default()
        }
    }

    /// The streets of a 4 km x 4 km city at 100 m: 41 x 41 junctions, 2 x 40 x 41 block
    /// sides, of which about 1/12 are missing and 1/20 are dead ends; every way starts at
    /// a junction, and the built graph is one network with few islands.
    #[test]
    fn streets_are_a_grid_with_missing_links_and_dead_ends() {
        let city = City::generate(&CitySpec {
            street_spacing_m: Some(100.0),
            ..spec(100, 3)
        })
        .unwrap();
        let ways = city.streets(100.0);
        let sides = 2 * 40 * 41;
        let dead = ways.iter().filter(|w| w.len() == 2).count();
        assert!(
            ways.len() < sides && ways.len() > sides * 85 / 100,
            "{}",
            ways.len()
        );
        assert!(dead > sides / 40 && dead < sides / 12, "{dead}");
        let graph = crate::reach::network::StreetGraph::build(
            &ways
                .iter()
                .map(|w| crate::reach::network::Way {
                    keys: w
                        .iter()
                        .map(|&c| crate::reach::network::VertexKey::at(c))
                        .collect(),
                    coords: w.clone(),
                })
                .collect::<Vec<_>>(),
            40,
        );
        assert!(graph.nodes() > 41 * 41 * 95 / 100, "{}", graph.nodes());
        assert!(city
            .plan(true)
            .contains("[network]\npath = \"streets.geojson\""));
        assert!(!City::generate(&spec(100, 3))
            .unwrap()
            .plan(true)
            .contains("[network]"));
    }

    /// A full 10 × 10 grid tiles its 4 km × 4 km rectangle: the areas (holes added back)
    /// sum to the rectangle's, and no two communities share any area.
    #[test]
    fn communities_tile_the_area_without_gaps_or_overlaps() {
        let city = City::generate(&spec(100, 7)).unwrap();
        assert_eq!(city.grid(), (10, 10));
        let shapes: Vec<Polygon<f64>> = (0..100).map(|k| city.community(k)).collect();
        let held: f64 = shapes.iter().map(|p| p.unsigned_area()).sum();
        let holes_m2: f64 = shapes
            .iter()
            .flat_map(|p| p.interiors())
            .map(|h| Polygon::new(h.clone(), vec![]).unsigned_area())
            .sum();
        assert!(holes_m2 > 0.0);
        assert_relative_eq!(held + holes_m2, 4000.0 * 4000.0, max_relative = 1e-12);
        let holes = shapes.iter().filter(|p| !p.interiors().is_empty()).count();
        assert!((1..20).contains(&holes), "{holes} holes");
        for (a, pa) in shapes.iter().enumerate() {
            assert!(pa.is_valid(), "community {a} is invalid");
            for pb in shapes.iter().skip(a + 1) {
                if pa.intersects(pb) {
                    let shared = pa.intersection(pb).unsigned_area();
                    assert!(shared < 1e-3, "communities overlap by {shared} m2");
                }
            }
        }
    }

    /// Many communities over several seeds: every boundary valid, holes inside.
    #[test]
    fn every_boundary_is_valid() {
        for seed in 1..4 {
            let city = City::generate(&spec(2500, seed)).unwrap();
            for k in 0..city.communities() {
                let p = city.community(k);
                assert!(p.is_valid(), "seed {seed}, community {k}: {p:?}");
                assert!(p.exterior().0.len() == 9);
            }
        }
    }

    #[test]
    fn counts_are_as_asked() {
        let city = City::generate(&spec(1234, 3)).unwrap();
        assert_eq!(city.communities(), 1234);
        assert_eq!(city.facilities().count(), 4 * 30);
        for (name, _) in default_categories() {
            assert_eq!(city.facilities().filter(|(_, c)| *c == name).count(), 30);
        }
        assert_eq!(city.demand().len(), 200);
        // Each demand point lies in a community; the weights of a community's points add up
        // to its residents.
        let mut weight_in = vec![0.0; city.communities()];
        for (at, w) in city.demand() {
            let inside: Vec<usize> = (0..city.communities())
                .filter(|&k| city.community(k).contains(at))
                .collect();
            assert_eq!(inside.len(), 1, "{at:?}");
            weight_in[inside[0]] += w;
        }
        for (k, w) in weight_in.iter().enumerate() {
            if *w > 0.0 {
                assert_relative_eq!(*w, f64::from(city.population(k)), max_relative = 1e-9);
            }
        }
        let (nx, ny) = city.grid();
        assert_eq!((nx, ny), (36, 35));
    }

    #[test]
    fn the_same_seed_writes_the_same_bytes() {
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        for (d, seed) in dirs.iter().zip([5, 5, 6]) {
            City::generate(&spec(300, seed))
                .unwrap()
                .write(d.path())
                .unwrap();
        }
        for name in [
            "communities.geojson",
            "facilities.geojson",
            "demand.geojson",
        ] {
            let read = |d: &tempfile::TempDir| std::fs::read(d.path().join(name)).unwrap();
            assert_eq!(read(&dirs[0]), read(&dirs[1]), "{name}");
            assert_ne!(read(&dirs[0]), read(&dirs[2]), "{name}");
        }
    }

    /// The written files load as lifecircle layers: every community, with its population.
    #[test]
    fn the_written_files_are_lifecircle_layers() {
        let d = tempfile::tempdir().unwrap();
        let city = City::generate(&spec(150, 9)).unwrap();
        let written = city.write(d.path()).unwrap();
        assert_eq!(written.files.len(), 5);
        let config = crate::Config::from_file(&d.path().join("city.toml")).unwrap();
        let job = crate::Job::from_config(&config, d.path()).unwrap();
        let analysis = crate::analyse(&job).unwrap();
        let inputs = analysis.inputs.communities.as_ref().unwrap();
        assert_eq!(inputs.features, 150);
        assert_eq!(inputs.population, Some(written.population as f64));
        assert!(inputs.repaired.is_empty());
        assert_eq!(analysis.categories.len(), 4);
        // 150 cells of 400 m: 2.4 km2 of area, less the holes, whatever the projection.
        let area: f64 = (0..150).map(|k| city.community(k).unsigned_area()).sum();
        assert_relative_eq!(inputs.area_m2, area, max_relative = 2e-3);
    }

    #[test]
    fn a_spec_without_communities_is_refused() {
        let err = City::generate(&CitySpec {
            communities: 0,
            ..CitySpec::default()
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "communities: expected at least 1");
    }
}
