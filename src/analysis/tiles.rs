//! Splitting a study area into tiles: each measured in its own UTM zone, each an
//! independent job.
//!
//! A run picks one metric working CRS, the UTM zone at the centre of the study area. Within
//! its zone a transverse Mercator's scale error is at most 0.1 % (0.9996 at the central
//! meridian, 1.00097 at the zone's edge on the equator); 15° away it is 3 %, and every
//! distance and circle there is 3 % off. So when the places reach beyond the centre zone's
//! tolerance ([`SCALE_TOLERANCE`]) the study is split by zone: each place is measured in the
//! UTM zone holding its representative point. The same split is what a cluster runs: every
//! summary figure is a sum over places, so tiles merge exactly.
//!
//! The plan ([`TilePlan::new`]) is a pure function of the places' representative points
//! and bounding boxes (lon/lat), so every `--tile K/N` job computes the same plan:
//!
//! 1. **Zones.** One zone (the centre's, or the configured working CRS) when every
//!    representative point is within the tolerance of it; else one per UTM zone and
//!    hemisphere holding a representative point.
//! 2. **Pieces.** With `N` tiles and `Z` zones: when `N ≥ Z`, each zone gets one tile and the
//!    rest go one by one to the zone with the most places per tile; a zone with `t` tiles is
//!    cut into `t` bands of latitude holding about as many places each. When `N < Z`, the
//!    zones are dealt to the tiles in order (zone `i` to tile `⌊i·N/Z⌋`), a tile measuring
//!    each of its zones in its own CRS.
//! 3. **Regions.** Every piece owns a region of lon/lat, and the regions cover the globe
//!    without overlap: between two zones the border is the meridian halfway between their
//!    central meridians; the north and south halves of a zone meet at the equator; bands meet
//!    halfway between the last place of one and the first of the next. A facility (and,
//!    without communities, a demand feature) belongs to the piece whose region holds it;
//!    a place to the piece whose region holds its representative point.
//! 4. **Halo.** A piece also reads the facilities within its places' bounding box grown by
//!    the largest radius ([`Piece::halo`]), so every facility that can reach one of its
//!    places is there. Along streets a route is never shorter than the straight line, so
//!    the same halo serves the network.
//!
//! Study areas that cross the antimeridian (180°) are not split correctly; none of the
//! plans this tool serves does.

use geo::{Coord, Rect};

use crate::input::crs::{utm_zone, Crs};

/// Largest scale error of the working CRS allowed before the study is split by zone:
/// 0.1 %, what a UTM zone gives at its edge.
pub const SCALE_TOLERANCE: f64 = 0.001;

/// Metres of one degree of latitude, at its shortest (the equator), so halos in degrees are
/// never too small.
const METRES_PER_DEGREE_LAT: f64 = 110_574.0;
/// Metres of one degree of longitude on the equator.
const METRES_PER_DEGREE_LON: f64 = 111_320.0;

/// A place as the plan sees it: where it is, lon/lat.
#[derive(Debug, Clone, Copy)]
pub struct PlaceSpot {
    /// The representative point: the centre of its bounding box.
    pub point: Coord<f64>,
    /// Its bounding box.
    pub bbox: Rect<f64>,
}

impl PlaceSpot {
    /// The spot of a shape with these coordinates; `None` when it has none.
    pub fn of(coords: impl Iterator<Item = Coord<f64>>) -> Option<PlaceSpot> {
        let mut it = coords.filter(|c| c.x.is_finite() && c.y.is_finite());
        let first = it.next()?;
        let (min, max) = it.fold((first, first), |(lo, hi), c| {
            (
                Coord {
                    x: lo.x.min(c.x),
                    y: lo.y.min(c.y),
                },
                Coord {
                    x: hi.x.max(c.x),
                    y: hi.y.max(c.y),
                },
            )
        });
        Some(PlaceSpot {
            point: Coord {
                x: (min.x + max.x) / 2.0,
                y: (min.y + max.y) / 2.0,
            },
            bbox: Rect::new(min, max),
        })
    }
}

/// A part of the globe, lon/lat: `[west, east) × [south, north)`, infinite at the ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// West and east borders, degrees.
    pub lon: [f64; 2],
    /// South and north borders, degrees.
    pub lat: [f64; 2],
}

impl Region {
    /// Everywhere.
    pub const WORLD: Region = Region {
        lon: [f64::NEG_INFINITY, f64::INFINITY],
        lat: [f64::NEG_INFINITY, f64::INFINITY],
    };

    /// Whether `c` lies in the region.
    pub fn holds(&self, c: Coord<f64>) -> bool {
        self.lon[0] <= c.x && c.x < self.lon[1] && self.lat[0] <= c.y && c.y < self.lat[1]
    }

    /// Whether the region is the whole globe.
    pub fn is_world(&self) -> bool {
        *self == Region::WORLD
    }
}

/// One zone, or one band of a zone: places measured together in one CRS.
#[derive(Debug, Clone)]
pub struct Piece {
    /// The working CRS; `None` for the run's own choice (the configured one, or the UTM zone
    /// of the study area's centre, as an unsplit run).
    pub crs: Option<Crs>,
    /// What it owns.
    pub region: Region,
    /// Positions of its places.
    pub places: Vec<usize>,
    /// The bounding box of its places, lon/lat; `None` without places.
    pub bbox: Option<Rect<f64>>,
}

impl Piece {
    /// The piece's places' box grown by `halo_m` metres on every side, lon/lat: whatever
    /// lies outside is farther than `halo_m` from every place.
    pub fn halo(&self, halo_m: f64) -> Option<Rect<f64>> {
        let b = self.bbox?;
        let dlat = halo_m / METRES_PER_DEGREE_LAT * 1.01 + 1e-9;
        let far = (b.min().y.abs().max(b.max().y.abs()) + dlat).min(89.0);
        let dlon = halo_m / (METRES_PER_DEGREE_LON * far.to_radians().cos()) * 1.01 + 1e-9;
        Some(Rect::new(
            Coord {
                x: b.min().x - dlon,
                y: b.min().y - dlat,
            },
            Coord {
                x: b.max().x + dlon,
                y: b.max().y + dlat,
            },
        ))
    }
}

/// How a study is split: the pieces and which tile measures which.
#[derive(Debug, Clone)]
pub struct TilePlan {
    /// Every piece, by zone then band.
    pub pieces: Vec<Piece>,
    /// For each tile (0-based), the pieces it measures.
    pub tiles: Vec<Vec<usize>>,
}

impl TilePlan {
    /// The plan for `tiles` tiles (at least 1). `fixed` is a configured working CRS: then
    /// the study is not split by zone. Places without a spot go to the first piece.
    pub fn new(spots: &[Option<PlaceSpot>], fixed: Option<&Crs>, tiles: usize) -> TilePlan {
        let tiles = tiles.max(1);
        let zones = zones_of(spots, fixed);
        let zone_count = zones.len();
        let mut pieces = Vec::new();
        let mut plan_tiles: Vec<Vec<usize>> = vec![Vec::new(); tiles];
        if tiles >= zone_count {
            let counts: Vec<usize> = zones.iter().map(|z| z.places.len()).collect();
            for (z, bands) in zones.into_iter().zip(allot(&counts, tiles)) {
                for piece in z.into_bands(spots, bands) {
                    plan_tiles[pieces.len()].push(pieces.len());
                    pieces.push(piece);
                }
            }
        } else {
            for (i, z) in zones.into_iter().enumerate() {
                plan_tiles[i * tiles / zone_count].push(pieces.len());
                pieces.push(z.into_bands(spots, 1).remove(0));
            }
        }
        TilePlan {
            pieces,
            tiles: plan_tiles,
        }
    }

    /// Whether the plan is one piece over the whole globe: the run as it always was.
    pub fn is_whole(&self) -> bool {
        self.pieces.len() == 1 && self.pieces[0].region.is_world() && self.pieces[0].crs.is_none()
    }

    /// The piece whose region holds `c` (the regions cover the globe; a point off every
    /// region, NaN say, goes to the first).
    pub fn owner(&self, c: Coord<f64>) -> usize {
        self.pieces
            .iter()
            .position(|p| p.region.holds(c))
            .unwrap_or(0)
    }

    /// The distinct working CRSs of the pieces, in order.
    pub fn zones(&self) -> Vec<Crs> {
        let mut out: Vec<Crs> = Vec::new();
        for c in self.pieces.iter().filter_map(|p| p.crs.clone()) {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }
}

/// A zone and the places whose representative points it holds.
struct Zone {
    crs: Option<Crs>,
    region: Region,
    places: Vec<usize>,
}

impl Zone {
    /// The zone cut into `bands` bands of latitude with about as many places each.
    fn into_bands(self, spots: &[Option<PlaceSpot>], bands: usize) -> Vec<Piece> {
        let lat = |i: usize| spots[i].map_or(f64::NEG_INFINITY, |s| s.point.y);
        let mut order = self.places.clone();
        order.sort_by(|&a, &b| lat(a).total_cmp(&lat(b)).then(a.cmp(&b)));
        let mut borders = vec![self.region.lat[0]];
        for b in 1..bands.max(1) {
            let at = b * order.len() / bands;
            let border = match (at.checked_sub(1), order.get(at)) {
                (Some(before), Some(&after)) => (lat(order[before]) + lat(after)) / 2.0,
                _ => *borders.last().unwrap_or(&self.region.lat[0]),
            };
            // Inside the zone's own latitudes, and never falling back.
            let last = *borders.last().unwrap_or(&self.region.lat[0]);
            borders.push(border.clamp(last, self.region.lat[1]));
        }
        borders.push(self.region.lat[1]);
        let mut pieces: Vec<Piece> = borders
            .windows(2)
            .map(|w| {
                let region = Region {
                    lon: self.region.lon,
                    lat: [w[0], w[1]],
                };
                let places: Vec<usize> = self
                    .places
                    .iter()
                    .copied()
                    .filter(|&i| match spots[i] {
                        Some(s) => region.holds(s.point) || self.region.is_world() && bands == 1,
                        // No spot: the zone's first band.
                        None => w[0] == self.region.lat[0],
                    })
                    .collect();
                let corners = places
                    .iter()
                    .filter_map(|&i| spots[i])
                    .flat_map(|s| [s.bbox.min(), s.bbox.max()]);
                let bbox = PlaceSpot::of(corners).map(|s| s.bbox);
                Piece {
                    crs: self.crs.clone(),
                    region,
                    places,
                    bbox,
                }
            })
            .collect();
        give_away_empty_regions(&mut pieces);
        pieces
    }
}

/// A band without places hands its latitudes to the next band with places (the last such
/// band to the one before), so every region that owns anything has places to measure.
fn give_away_empty_regions(pieces: &mut [Piece]) {
    let n = pieces.len();
    for i in 0..n {
        if !pieces[i].places.is_empty() {
            continue;
        }
        let [south, north] = pieces[i].region.lat;
        if let Some(next) = (i + 1..n).find(|&j| !pieces[j].places.is_empty()) {
            pieces[next].region.lat[0] = pieces[next].region.lat[0].min(south);
        } else if let Some(prev) = (0..i).rev().find(|&j| !pieces[j].places.is_empty()) {
            pieces[prev].region.lat[1] = pieces[prev].region.lat[1].max(north);
        }
        pieces[i].region.lat = [south, south];
    }
}

/// The zones of a study: one when every place is within the tolerance of the centre's zone
/// (or a CRS is configured), else one per UTM zone and hemisphere.
fn zones_of(spots: &[Option<PlaceSpot>], fixed: Option<&Crs>) -> Vec<Zone> {
    let all: Vec<usize> = (0..spots.len()).collect();
    let whole = |crs: Option<Crs>| {
        vec![Zone {
            crs,
            region: Region::WORLD,
            places: all.clone(),
        }]
    };
    if fixed.is_some() {
        return whole(None);
    }
    let points: Vec<Coord<f64>> = spots.iter().flatten().map(|s| s.point).collect();
    let Some(centre) = centre_of(&points) else {
        return whole(None);
    };
    let centre_meridian = central_meridian(zone_number(centre.x));
    if points
        .iter()
        .all(|&p| scale_error(p, centre_meridian) <= SCALE_TOLERANCE)
    {
        return whole(None);
    }
    // (zone number, south) of each place; places without a spot go with the first zone.
    let key = |c: Coord<f64>| (zone_number(c.x), c.y < 0.0);
    let mut keys: Vec<(i64, bool)> = points.iter().map(|&p| key(p)).collect();
    keys.sort();
    keys.dedup();
    let numbers: Vec<i64> = {
        let mut n: Vec<i64> = keys.iter().map(|k| k.0).collect();
        n.dedup();
        n
    };
    let lon_band = |zone: i64| {
        let at = numbers.iter().position(|&n| n == zone).unwrap_or(0);
        let west = match at.checked_sub(1) {
            Some(prev) => (central_meridian(numbers[prev]) + central_meridian(zone)) / 2.0,
            None => f64::NEG_INFINITY,
        };
        let east = match numbers.get(at + 1) {
            Some(&next) => (central_meridian(zone) + central_meridian(next)) / 2.0,
            None => f64::INFINITY,
        };
        [west, east]
    };
    let mut zones: Vec<Zone> = keys
        .iter()
        .map(|&(zone, south)| {
            let both = keys.contains(&(zone, !south));
            let lat = match (both, south) {
                (false, _) => [f64::NEG_INFINITY, f64::INFINITY],
                (true, true) => [f64::NEG_INFINITY, 0.0],
                (true, false) => [0.0, f64::INFINITY],
            };
            let probe = Coord {
                x: central_meridian(zone),
                y: if south { -1.0 } else { 1.0 },
            };
            Zone {
                crs: Some(utm_zone(probe)),
                region: Region {
                    lon: lon_band(zone),
                    lat,
                },
                places: Vec::new(),
            }
        })
        .collect();
    for (i, spot) in spots.iter().enumerate() {
        let z = match spot {
            Some(s) => zones
                .iter()
                .position(|z| z.region.holds(s.point))
                .unwrap_or(0),
            None => 0,
        };
        zones[z].places.push(i);
    }
    zones
}

/// Tiles per zone: one each, then one at a time to the zone with the most places per tile.
fn allot(counts: &[usize], tiles: usize) -> Vec<usize> {
    let mut out = vec![1; counts.len()];
    for _ in counts.len()..tiles {
        let best = (0..counts.len()).max_by(|&a, &b| {
            let load = |i: usize| counts[i] as f64 / out[i] as f64;
            load(a).total_cmp(&load(b)).then(b.cmp(&a))
        });
        if let Some(i) = best {
            out[i] += 1;
        }
    }
    out
}

/// The centre of the points' bounding box.
fn centre_of(points: &[Coord<f64>]) -> Option<Coord<f64>> {
    let spot = PlaceSpot::of(points.iter().copied())?;
    Some(spot.point)
}

/// The UTM zone number (1 to 60) holding longitude `lon`.
fn zone_number(lon: f64) -> i64 {
    (((lon + 180.0) / 6.0).floor() as i64 + 1).clamp(1, 60)
}

/// The central meridian of UTM zone `zone`, degrees.
fn central_meridian(zone: i64) -> f64 {
    zone as f64 * 6.0 - 183.0
}

/// The scale error `|k − 1|` of a UTM projection with central meridian `meridian` at `c`:
/// `k = 0.9996 / √(1 − B²)`, `B = cos φ · sin(λ − λ₀)` (the sphere's formula; the ellipsoid
/// differs in the fourth digit of the error, far below the tolerance's).
pub fn scale_error(c: Coord<f64>, meridian: f64) -> f64 {
    let b = c.y.to_radians().cos() * (c.x - meridian).to_radians().sin();
    let k = 0.9996 / (1.0 - b * b).max(1e-12).sqrt();
    (k - 1.0).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spot(x: f64, y: f64) -> Option<PlaceSpot> {
        PlaceSpot::of([Coord { x, y }].into_iter())
    }

    #[test]
    fn a_city_in_one_zone_is_one_whole_piece() {
        let spots = vec![spot(117.1, 39.0), spot(117.3, 39.2), spot(116.9, 38.9)];
        let plan = TilePlan::new(&spots, None, 1);
        assert!(plan.is_whole());
        assert_eq!(plan.pieces[0].places, vec![0, 1, 2]);
    }

    #[test]
    fn a_city_astride_a_zone_border_is_still_one_zone() {
        // A city astride 120°E: 0.4° past the centre zone's edge is well within 0.1 %.
        let spots = vec![spot(119.6, 39.0), spot(120.4, 39.1)];
        assert!(TilePlan::new(&spots, None, 1).is_whole());
    }

    #[test]
    fn three_cities_are_three_zones() {
        let spots = vec![spot(87.6, 43.8), spot(104.5, 30.66), spot(121.5, 31.23)];
        let plan = TilePlan::new(&spots, None, 1);
        assert_eq!(plan.tiles, vec![vec![0, 1, 2]]);
        let crs: Vec<String> = plan.zones().iter().map(|c| c.to_string()).collect();
        assert_eq!(crs, ["EPSG:32645", "EPSG:32648", "EPSG:32651"]);
        // Borders halfway between central meridians (87, 105, 123).
        assert_eq!(plan.pieces[0].region.lon, [f64::NEG_INFINITY, 96.0]);
        assert_eq!(plan.pieces[1].region.lon, [96.0, 114.0]);
        assert_eq!(plan.pieces[2].region.lon, [114.0, f64::INFINITY]);
        assert_eq!(plan.owner(Coord { x: 95.9, y: 40.0 }), 0);
        assert_eq!(plan.owner(Coord { x: 96.0, y: -40.0 }), 1);
        // Two tiles: zones dealt in order, zone i to tile i·N/Z.
        assert_eq!(
            TilePlan::new(&spots, None, 2).tiles,
            vec![vec![0, 1], vec![2]]
        );
        // A configured CRS is the user's choice: no split.
        let fixed = Crs::Proj("EPSG:32648".into());
        assert!(TilePlan::new(&spots, Some(&fixed), 1).pieces[0]
            .crs
            .is_none());
    }

    #[test]
    fn bands_split_a_zone_by_count_and_cover_it() {
        let spots: Vec<_> = (0..10)
            .map(|i| spot(117.0, 39.0 + i as f64 * 0.01))
            .collect();
        let plan = TilePlan::new(&spots, None, 4);
        assert_eq!(plan.pieces.len(), 4);
        let sizes: Vec<usize> = plan.pieces.iter().map(|p| p.places.len()).collect();
        assert_eq!(sizes, [2, 3, 2, 3]);
        assert_eq!(plan.pieces[0].region.lat[0], f64::NEG_INFINITY);
        assert_eq!(plan.pieces[3].region.lat[1], f64::INFINITY);
        for w in plan.pieces.windows(2) {
            assert_eq!(w[0].region.lat[1], w[1].region.lat[0]);
        }
        let mut all: Vec<usize> = plan.pieces.iter().flat_map(|p| p.places.clone()).collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        // More tiles than places: empty tiles, every place still in exactly one.
        let plan = TilePlan::new(&spots[..2], None, 7);
        assert_eq!(plan.tiles.len(), 7);
        let total: usize = plan.pieces.iter().map(|p| p.places.len()).sum();
        assert_eq!(total, 2);
    }

    #[test]
    fn extra_tiles_go_to_the_busiest_zone() {
        assert_eq!(allot(&[10, 100, 30], 5), [1, 3, 1]);
        assert_eq!(allot(&[5, 5], 2), [1, 1]);
    }

    #[test]
    fn scale_error_is_a_tenth_of_a_percent_at_a_zones_edge() {
        // At the central meridian 0.9996; 3° off on the equator about 1.00097.
        assert!((scale_error(Coord { x: 117.0, y: 0.0 }, 117.0) - 0.0004).abs() < 1e-12);
        let edge = scale_error(Coord { x: 120.0, y: 0.0 }, 117.0);
        assert!((edge - 0.000_97).abs() < 0.000_01, "{edge}");
        // Urumqi measured in zone 48 (105°E): about 3 % (the 2.4 % distance error).
        assert!(scale_error(Coord { x: 87.6, y: 43.8 }, 105.0) > 0.02);
    }

    #[test]
    fn the_halo_holds_everything_within_reach() {
        let p = Piece {
            crs: None,
            region: Region::WORLD,
            places: vec![0],
            bbox: Some(Rect::new(
                Coord { x: 117.0, y: 39.0 },
                Coord { x: 117.1, y: 39.1 },
            )),
        };
        let h = p.halo(1000.0).unwrap();
        // 1 km is 0.00904° of latitude and 0.01165° of longitude at 39.1°N.
        assert!(h.min().y < 39.0 - 0.00904 && h.min().y > 39.0 - 0.0095);
        assert!(h.max().x > 117.1 + 0.01165 && h.max().x < 117.1 + 0.0125);
    }
}
