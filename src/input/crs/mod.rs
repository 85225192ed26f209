//! Coordinate reference systems: what a layer declares, the Chinese offset datums, the metric
//! working CRS.
//!
//! Every layer is first brought to WGS 84 longitude/latitude ([`LonLat`]), then projected to a
//! metric working CRS ([`WorkCrs`]) where distances and areas are measured. PROJ does every
//! transform between real CRSs. GCJ-02 and BD-09 are not CRSs PROJ knows: they are the
//! obfuscated datums of Chinese web maps, defined only by a published algorithm, which
//! [`gcj02_to_wgs84`] and [`bd09_to_gcj02`] implement.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use geo::{Coord, MapCoordsInPlace};
use proj::Proj;

use crate::error::{AreaOfUseMiss, Error, FeatureProblem, Result};

mod gauss_kruger;
pub use gauss_kruger::Zone;

/// A coordinate reference system a layer can be declared in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Crs {
    /// WGS 84 longitude/latitude (RFC 7946 GeoJSON; `EPSG:4326`, `OGC:CRS84`).
    Wgs84,
    /// GCJ-02, the offset datum of Chinese web maps (Amap/Gaode, Tencent, Google China).
    Gcj02,
    /// BD-09, Baidu's offset of GCJ-02.
    Bd09,
    /// Any other CRS PROJ knows: `AUTHORITY:CODE` (e.g. `EPSG:4490`, `EPSG:32650`), a WKT
    /// definition (a shapefile's .prj, ESRI or OGC dialect) or a PROJ string (`+proj=tmerc ...`).
    Proj(String),
}

impl Crs {
    /// Whether coordinates in this CRS are degrees of longitude and latitude.
    pub fn is_geographic(&self) -> bool {
        match self {
            Crs::Wgs84 | Crs::Gcj02 | Crs::Bd09 => true,
            // Geographic CRSs a planner is likely to meet; others are checked after transform.
            Crs::Proj(code) if is_definition(code) => {
                let upper = code.trim_start().to_ascii_uppercase();
                upper.starts_with("GEOGCS")
                    || upper.starts_with("GEOGCRS")
                    || upper.starts_with("GEOGRAPHICCRS")
                    || upper.contains("+PROJ=LONGLAT")
                    || upper.contains("+PROJ=LATLONG")
            }
            Crs::Proj(code) => matches!(
                code.as_str(),
                "EPSG:4490" // CGCS2000
                    | "EPSG:4214" // Beijing 1954
                    | "EPSG:4610" // Xian 1980
                    | "EPSG:4258" // ETRS89
                    | "EPSG:4269" // NAD83
                    | "EPSG:4674" // SIRGAS 2000
                    | "EPSG:4283" // GDA94
                    | "EPSG:7844" // GDA2020
                    | "EPSG:6668" // JGD2011
                    | "EPSG:4612" // JGD2000
            ),
        }
    }

    /// The CRS as PROJ (or lifecircle, for the offset datums) names it.
    pub fn name(&self) -> &str {
        match self {
            Crs::Wgs84 => "EPSG:4326",
            Crs::Gcj02 => "GCJ-02",
            Crs::Bd09 => "BD-09",
            Crs::Proj(code) => code,
        }
    }

    /// Reads the legacy (pre-RFC 7946) `crs` member of a GeoJSON file; `None` if it is null.
    /// A member that does not name a CRS (a `link`, say) is an error: guessing WGS 84
    /// could be silently wrong.
    pub fn from_geojson_member(member: &serde_json::Value) -> Option<Result<Crs>> {
        if member.is_null() {
            return None;
        }
        let name = member
            .get("properties")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str());
        Some(match name {
            Some(name) => name.parse(),
            None => Err(Error::Crs {
                crs: member.to_string(),
                message: "the file's crs member does not name a CRS; declare the layer's CRS \
                          (crs = \"...\" in the configuration, or --communities-crs / --facilities-crs)"
                    .into(),
            }),
        })
    }
}

impl fmt::Display for Crs {
    /// The CRS in a message or a summary: its code, or a WKT's name, or a PROJ string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Crs::Proj(definition) if is_definition(definition) => match wkt_name(definition) {
                Some(name) => write!(f, "{name} (WKT)"),
                None => f.write_str(definition.trim()),
            },
            _ => f.write_str(self.name()),
        }
    }
}

/// Whether a CRS text is a definition (WKT or a PROJ string) rather than a name or code.
fn is_definition(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('+') || t.contains("+proj=") || wkt_keyword(t).is_some()
}

/// The WKT keyword a text opens with (`PROJCS`, `GEOGCRS`, ...), if it opens with one.
fn wkt_keyword(text: &str) -> Option<&str> {
    const KEYWORDS: [&str; 13] = [
        "PROJCS",
        "GEOGCS",
        "GEOCCS",
        "COMPD_CS",
        "PROJCRS",
        "PROJECTEDCRS",
        "GEOGCRS",
        "GEOGRAPHICCRS",
        "GEODCRS",
        "GEODETICCRS",
        "COMPOUNDCRS",
        "BOUNDCRS",
        "VERT_CS",
    ];
    let t = text.trim_start();
    let head = t.split('[').next()?.trim_end();
    KEYWORDS
        .iter()
        .find(|k| head.eq_ignore_ascii_case(k))
        .map(|_| head)
}

/// The name a WKT definition gives its CRS: the first quoted text.
pub(crate) fn wkt_name(definition: &str) -> Option<&str> {
    wkt_keyword(definition)?;
    let start = definition.find('"')? + 1;
    let len = definition[start..].find('"')?;
    Some(&definition[start..start + len]).filter(|n| !n.is_empty())
}

impl FromStr for Crs {
    type Err = Error;

    /// Accepts `EPSG:4326`, `WGS84`, `CRS84`, `GCJ-02`, `BD-09`, OGC URNs
    /// (`urn:ogc:def:crs:EPSG::4490`) and any `AUTHORITY:CODE` PROJ knows.
    fn from_str(s: &str) -> Result<Crs> {
        let t = s.trim();
        if is_definition(t) {
            return Crs::from_definition(t);
        }
        let upper = t.to_ascii_uppercase();
        let compact: String = upper
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        match compact.as_str() {
            "GCJ02" | "GCJ" => return Ok(Crs::Gcj02),
            "BD09" | "BD09LL" | "BAIDU" => return Ok(Crs::Bd09),
            "WGS84"
            | "EPSG4326"
            | "CRS84"
            | "OGCCRS84"
            | "URNOGCDEFCRSOGC13CRS84"
            | "URNOGCDEFCRSEPSG4326" => return Ok(Crs::Wgs84),
            _ => {}
        }
        // urn:ogc:def:crs:EPSG::4490 or urn:ogc:def:crs:EPSG:9.8:4490
        let code = if let Some(rest) = upper.strip_prefix("URN:OGC:DEF:CRS:") {
            let parts: Vec<&str> = rest.split(':').collect();
            match (parts.first(), parts.last()) {
                (Some(auth), Some(code)) if parts.len() >= 2 && !code.is_empty() => {
                    format!("{auth}:{code}")
                }
                _ => t.to_string(),
            }
        } else {
            upper.clone()
        };
        let Some((auth, num)) = code.split_once(':') else {
            return Err(Error::Crs {
                crs: s.to_string(),
                message: "expected AUTHORITY:CODE (e.g. EPSG:4490), WGS84, GCJ-02 or BD-09".into(),
            });
        };
        if auth.is_empty() || num.is_empty() {
            return Err(Error::Crs {
                crs: s.to_string(),
                message: "expected AUTHORITY:CODE (e.g. EPSG:4490)".into(),
            });
        }
        // Check PROJ knows it now, rather than deep inside the run.
        Proj::new(&code).map_err(|e| Error::Crs {
            crs: s.to_string(),
            message: format!("PROJ does not know it: {e}"),
        })?;
        Ok(Crs::Proj(code))
    }
}

impl Crs {
    /// A WKT (OGC or ESRI dialect, as in a shapefile's .prj) or PROJ-string definition,
    /// checked now by PROJ. WGS 84 longitude/latitude in any spelling is [`Crs::Wgs84`].
    pub fn from_definition(definition: &str) -> Result<Crs> {
        let t = definition.trim().trim_start_matches('\u{feff}');
        let proj = Proj::new(t).map_err(|e| Error::Crs {
            crs: short(t),
            message: format!("PROJ cannot read this definition: {e}"),
        })?;
        let wgs84 = matches!(
            wkt_name(t),
            Some("GCS_WGS_1984" | "WGS 84" | "WGS84" | "WGS_1984")
        ) && wkt_keyword(t).is_some_and(|k| k.to_ascii_uppercase().starts_with("GEOG"));
        drop(proj);
        Ok(if wgs84 {
            Crs::Wgs84
        } else {
            Crs::Proj(t.to_string())
        })
    }
}

/// A long definition cut for a message.
fn short(text: &str) -> String {
    if text.chars().count() <= 120 {
        text.to_string()
    } else {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    }
}

/// Brings coordinates in `crs` to WGS 84 longitude/latitude.
///
/// Built once per layer; [`LonLat::convert`] is then called per coordinate.
pub struct LonLat {
    crs: Crs,
    proj: Option<Proj>,
    /// Where the CRS is meant to be used (west, south, east, north), when PROJ knows.
    area_of_use: Option<[f64; 4]>,
    /// The CGCS2000 Gauss-Krüger zone, whose eastings are checked before transforming.
    zone: Option<Zone>,
}

impl LonLat {
    /// Prepares the transform from `crs` to WGS 84.
    pub fn from(crs: &Crs) -> Result<LonLat> {
        let proj =
            match crs {
                Crs::Proj(code) => Some(Proj::new_known_crs(code, "EPSG:4326", None).map_err(
                    |e| Error::Crs {
                        crs: short(code),
                        message: format!("PROJ cannot transform it to WGS 84: {e}"),
                    },
                )?),
                _ => None,
            };
        let area_of_use = match crs {
            Crs::Proj(code) => Proj::new(code)
                .ok()
                .and_then(|p| p.area_of_use().ok())
                .and_then(|(area, _)| area)
                .map(|a| [a.west, a.south, a.east, a.north])
                .filter(|a| a[0] <= a[2]), // skip areas across the antimeridian
            _ => None,
        };
        Ok(LonLat {
            crs: crs.clone(),
            proj,
            area_of_use,
            zone: Zone::of(crs),
        })
    }

    /// Checks a whole feature's coordinates in a projected CRS: if they all look like
    /// degrees, the CRS was probably declared by mistake.
    pub fn check_not_degrees(
        &self,
        coords: impl Iterator<Item = Coord<f64>>,
    ) -> std::result::Result<(), FeatureProblem> {
        if self.crs.is_geographic() {
            return Ok(());
        }
        let mut first = None;
        for c in coords {
            if !(c.x.abs() <= 180.0 && c.y.abs() <= 90.0) {
                return Ok(());
            }
            first.get_or_insert(c);
        }
        match first {
            Some(c) => Err(FeatureProblem::DegreesInProjected {
                crs: self.crs.to_string(),
                x: c.x,
                y: c.y,
            }),
            None => Ok(()),
        }
    }

    /// Converts one coordinate, checking it can be in the declared CRS.
    pub fn convert(&self, c: Coord<f64>) -> std::result::Result<Coord<f64>, FeatureProblem> {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return Err(FeatureProblem::NonFinite);
        }
        let out_of_range = |c: Coord<f64>| FeatureProblem::OutOfRange {
            crs: self.crs.to_string(),
            x: c.x,
            y: c.y,
        };
        if self.crs.is_geographic() && !(c.x.abs() <= 180.0 && c.y.abs() <= 90.0) {
            return Err(out_of_range(c));
        }
        if let Some(zone) = &self.zone {
            zone.check(c).map_err(FeatureProblem::WrongZone)?;
        }
        let ll = match (&self.crs, &self.proj) {
            (Crs::Wgs84, _) => c,
            (Crs::Gcj02, _) => gcj02_to_wgs84(c),
            (Crs::Bd09, _) => gcj02_to_wgs84(bd09_to_gcj02(c)),
            (Crs::Proj(_), Some(proj)) => {
                let (x, y) = proj.convert((c.x, c.y)).map_err(|e| {
                    FeatureProblem::Transform(format!(
                        "({}, {}) from {}: {e}; is the declared CRS right?",
                        c.x, c.y, self.crs
                    ))
                })?;
                Coord { x, y }
            }
            (Crs::Proj(_), None) => c,
        };
        if let Some([west, south, east, north]) = self.area_of_use {
            // A margin of 2 degrees: data just past a zone's edge is common and harmless.
            let m = 2.0;
            if !(ll.x >= west - m && ll.x <= east + m && ll.y >= south - m && ll.y <= north + m) {
                return Err(FeatureProblem::OutsideAreaOfUse {
                    crs: self.crs.to_string(),
                    miss: Box::new(AreaOfUseMiss {
                        x: c.x,
                        y: c.y,
                        lon: ll.x,
                        lat: ll.y,
                        area: [west, south, east, north],
                    }),
                });
            }
        }
        if !(ll.x.is_finite() && ll.y.is_finite() && ll.x.abs() <= 180.0 && ll.y.abs() <= 90.0) {
            return Err(FeatureProblem::Transform(format!(
                "({}, {}) in {} lands outside the globe; is the declared CRS right?",
                c.x, c.y, self.crs
            )));
        }
        Ok(ll)
    }
}

thread_local! {
    /// Each thread's transforms of the working CRSs it has used.
    static THREAD_WORK: std::cell::RefCell<Vec<WorkCrs>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The metric CRS where distances and areas are measured, with PROJ transforms both ways.
pub struct WorkCrs {
    crs: Crs,
    forward: Proj,
    inverse: Proj,
}

impl WorkCrs {
    /// Uses `crs` if given, else the UTM zone of `centre` (WGS 84 lon/lat).
    pub fn choose(crs: Option<&Crs>, centre: Coord<f64>) -> Result<WorkCrs> {
        let crs = match crs {
            Some(c) => {
                if c.is_geographic() {
                    return Err(Error::Crs {
                        crs: c.to_string(),
                        message: "the working CRS must be projected in metres (e.g. a UTM zone, EPSG:32650), not longitude/latitude".into(),
                    });
                }
                c.clone()
            }
            None => utm_zone(centre),
        };
        let work = WorkCrs::of(&crs)?;
        work.check_metres(centre)?;
        Ok(work)
    }

    /// Runs `f` with this thread's transforms of the working CRS `crs`, built on the
    /// thread's first use and kept for the next: PROJ's objects cannot be shared between
    /// threads, and building one costs milliseconds.
    pub fn on_this_thread<R>(crs: &Crs, f: impl FnOnce(&WorkCrs) -> R) -> Result<R> {
        // Taken out while in use, so a nested call builds its own.
        let cached = THREAD_WORK.with(|kept| {
            let mut kept = kept.borrow_mut();
            let at = kept.iter().position(|w| w.crs == *crs);
            at.map(|i| kept.swap_remove(i))
        });
        let work = match cached {
            Some(w) => w,
            None => WorkCrs::of(crs)?,
        };
        let out = f(&work);
        THREAD_WORK.with(|kept| kept.borrow_mut().push(work));
        Ok(out)
    }

    /// The transforms of a working CRS already chosen (see [`WorkCrs::on_this_thread`] for
    /// work done in parallel).
    pub fn of(crs: &Crs) -> Result<WorkCrs> {
        let fail = |from: &str, to: &str, e: proj::ProjCreateError| Error::Crs {
            crs: crs.to_string(),
            message: format!("PROJ cannot build the transform {from} -> {to}: {e}"),
        };
        if let Some((forward, inverse)) = utm_pipelines(crs) {
            return Ok(WorkCrs {
                forward: Proj::new(&forward).map_err(|e| fail("EPSG:4326", crs.name(), e))?,
                inverse: Proj::new(&inverse).map_err(|e| fail(crs.name(), "EPSG:4326", e))?,
                crs: crs.clone(),
            });
        }
        let make = |from: &str, to: &str| {
            Proj::new_known_crs(from, to, None).map_err(|e| fail(from, to, e))
        };
        Ok(WorkCrs {
            forward: make("EPSG:4326", crs.name())?,
            inverse: make(crs.name(), "EPSG:4326")?,
            crs: crs.clone(),
        })
    }

    /// Refuses a working CRS that does not measure metres at the study area (degrees, feet,
    /// Web Mercator away from the equator): 1,000 m on the ground, along the geodesic from
    /// the centre, must measure 1,000 m to within 1%.
    fn check_metres(&self, centre: Coord<f64>) -> Result<()> {
        use geo::{Destination, Geodesic};
        let here = geo::Point::from(centre);
        let mut worst: f64 = 0.0;
        for bearing in [0.0, 90.0] {
            let mut a = here;
            let mut b = Geodesic.destination(here, bearing, 1000.0);
            let projected = self.project(&mut a).and_then(|_| self.project(&mut b));
            let measured = match projected {
                Ok(()) => (a.x() - b.x()).hypot(a.y() - b.y()),
                Err(_) => f64::NAN,
            };
            if !(measured.is_finite() && (measured / 1000.0 - 1.0).abs() < 0.01) {
                worst = measured;
                break;
            }
        }
        if worst == 0.0 {
            return Ok(());
        }
        Err(Error::Crs {
            crs: self.crs.to_string(),
            message: format!(
                "cannot be the working CRS: 1,000 m on the ground at the study area measures {worst:.4} \
                 units in it; distances and areas need a projected CRS in metres with little scale \
                 error there, such as the UTM zone (leave work_crs unset to get it: {})",
                utm_zone(centre)
            ),
        })
    }

    /// The working CRS.
    pub fn crs(&self) -> &Crs {
        &self.crs
    }

    /// Projects WGS 84 lon/lat geometry into the working CRS, in place.
    pub fn project<G: MapCoordsInPlace<f64>>(
        &self,
        geometry: &mut G,
    ) -> std::result::Result<(), FeatureProblem> {
        transform_in_place(&self.forward, geometry)
    }

    /// Brings working-CRS geometry back to WGS 84 lon/lat, in place.
    pub fn unproject<G: MapCoordsInPlace<f64>>(
        &self,
        geometry: &mut G,
    ) -> std::result::Result<(), FeatureProblem> {
        transform_in_place(&self.inverse, geometry)
    }
}

fn transform_in_place<G: MapCoordsInPlace<f64>>(
    proj: &Proj,
    geometry: &mut G,
) -> std::result::Result<(), FeatureProblem> {
    geometry.try_map_coords_in_place(|c| {
        let (x, y) = proj
            .convert((c.x, c.y))
            .map_err(|e| FeatureProblem::Transform(e.to_string()))?;
        if x.is_finite() && y.is_finite() {
            Ok(Coord { x, y })
        } else {
            Err(FeatureProblem::Transform(format!(
                "({}, {}) has no position in the working CRS",
                c.x, c.y
            )))
        }
    })
}

/// The WGS 84 UTM zone holding `lonlat` (EPSG:326zz north, 327zz south).
pub fn utm_zone(lonlat: Coord<f64>) -> Crs {
    let zone = (((lonlat.x + 180.0) / 6.0).floor() as i64 + 1).clamp(1, 60);
    let base = if lonlat.y >= 0.0 { 32600 } else { 32700 };
    Crs::Proj(format!("EPSG:{}", base + zone))
}

/// For a WGS 84 UTM zone (EPSG:32601-32660, 32701-32760), PROJ's own operations between it
/// and EPSG:4326 as pipeline strings (lon/lat in degrees, as the transforms are used):
/// forward and inverse. They compute the very same steps (a unit conversion and the
/// Poder/Engsager transverse Mercator), bit for bit, but are built without PROJ's database,
/// which costs some 15 ms the first time and milliseconds on each thread.
fn utm_pipelines(crs: &Crs) -> Option<(String, String)> {
    let Crs::Proj(code) = crs else { return None };
    let number: u32 = code.strip_prefix("EPSG:")?.parse().ok()?;
    let (zone, south) = match number {
        32601..=32660 => (number - 32600, ""),
        32701..=32760 => (number - 32700, " +south"),
        _ => return None,
    };
    let utm = format!("+proj=utm +zone={zone}{south} +ellps=WGS84");
    Some((
        format!("+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {utm}"),
        format!("+proj=pipeline +step +inv {utm} +step +proj=unitconvert +xy_in=rad +xy_out=deg"),
    ))
}

// GCJ-02 parameters: the Krasovsky 1940 ellipsoid the published algorithm uses.
const GCJ_A: f64 = 6_378_245.0;
const GCJ_EE: f64 = 0.006_693_421_622_965_943;

/// Whether GCJ-02 applies at this point: outside China's rough bounding box it is WGS 84.
fn outside_china(c: Coord<f64>) -> bool {
    !(72.004..=137.8347).contains(&c.x) || !(0.8293..=55.8271).contains(&c.y)
}

fn gcj_offset(c: Coord<f64>) -> Coord<f64> {
    let x = c.x - 105.0;
    let y = c.y - 35.0;
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad_lat = c.y / 180.0 * PI;
    let magic = 1.0 - GCJ_EE * rad_lat.sin() * rad_lat.sin();
    let sqrt_magic = magic.sqrt();
    Coord {
        x: dlon * 180.0 / (GCJ_A / sqrt_magic * rad_lat.cos() * PI),
        y: dlat * 180.0 / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * PI),
    }
}

/// WGS 84 to GCJ-02 (the forward, published obfuscation).
pub fn wgs84_to_gcj02(c: Coord<f64>) -> Coord<f64> {
    if outside_china(c) {
        return c;
    }
    c + gcj_offset(c)
}

/// GCJ-02 to WGS 84, by fixed-point iteration of the forward transform to below 1e-9 degrees
/// (0.1 mm).
pub fn gcj02_to_wgs84(g: Coord<f64>) -> Coord<f64> {
    if outside_china(g) {
        return g;
    }
    let mut w = g - gcj_offset(g);
    for _ in 0..20 {
        let d = wgs84_to_gcj02(w) - g;
        w = w - d;
        if d.x.abs() < 1e-10 && d.y.abs() < 1e-10 {
            break;
        }
    }
    w
}

const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// BD-09 to GCJ-02 (Baidu's published inverse).
pub fn bd09_to_gcj02(b: Coord<f64>) -> Coord<f64> {
    let x = b.x - 0.0065;
    let y = b.y - 0.006;
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * BD_X_PI).cos();
    Coord {
        x: z * theta.cos(),
        y: z * theta.sin(),
    }
}

/// GCJ-02 to BD-09.
pub fn gcj02_to_bd09(g: Coord<f64>) -> Coord<f64> {
    let z = (g.x * g.x + g.y * g.y).sqrt() + 0.00002 * (g.y * BD_X_PI).sin();
    let theta = g.y.atan2(g.x) + 0.000003 * (g.x * BD_X_PI).cos();
    Coord {
        x: z * theta.cos() + 0.0065,
        y: z * theta.sin() + 0.006,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEDA: Coord<f64> = Coord {
        x: 117.7150,
        y: 39.0450,
    };

    fn metres_between(a: Coord<f64>, b: Coord<f64>) -> f64 {
        let dx = (a.x - b.x) * 111_320.0 * (a.y.to_radians()).cos();
        let dy = (a.y - b.y) * 110_574.0;
        (dx * dx + dy * dy).sqrt()
    }

    #[test]
    fn gcj02_offset_at_teda_is_about_550_m() {
        let d = metres_between(TEDA, wgs84_to_gcj02(TEDA));
        assert!((450.0..650.0).contains(&d), "offset {d} m");
    }

    #[test]
    fn gcj02_round_trip_is_below_a_millimetre() {
        for (dx, dy) in [(0.0, 0.0), (1.3, -0.7), (-10.2, 4.4), (5.0, -15.0)] {
            let w = Coord {
                x: TEDA.x + dx,
                y: TEDA.y + dy,
            };
            let back = gcj02_to_wgs84(wgs84_to_gcj02(w));
            assert!(metres_between(w, back) < 1e-3, "{w:?} -> {back:?}");
        }
    }

    #[test]
    fn bd09_round_trip() {
        let g = wgs84_to_gcj02(TEDA);
        let back = bd09_to_gcj02(gcj02_to_bd09(g));
        assert!(metres_between(g, back) < 0.05);
        // BD-09 sits a further ~700 m off GCJ-02.
        let d = metres_between(g, gcj02_to_bd09(g));
        assert!((500.0..1000.0).contains(&d), "{d}");
    }

    #[test]
    fn outside_china_gcj02_is_wgs84() {
        let helsinki = Coord { x: 24.94, y: 60.17 };
        assert_eq!(wgs84_to_gcj02(helsinki), helsinki);
        assert_eq!(gcj02_to_wgs84(helsinki), helsinki);
    }

    /// The UTM zones' pipeline strings give the same numbers as PROJ's EPSG operations, bit
    /// for bit, both ways, over each zone and a little past it (Tianjin's, Helsinki's and São
    /// Paulo's zones).
    #[test]
    fn utm_pipelines_equal_the_epsg_operations() {
        for (code, lon0, lat0, lat1) in [
            ("EPSG:32650", 114.0, 0.0, 60.0),
            ("EPSG:32635", 24.0, 40.0, 80.0),
            ("EPSG:32723", -48.0, -60.0, 0.0),
        ] {
            let crs = Crs::Proj(code.into());
            let (forward, inverse) = utm_pipelines(&crs).expect("a UTM zone");
            let fast = (Proj::new(&forward).unwrap(), Proj::new(&inverse).unwrap());
            let known = (
                Proj::new_known_crs("EPSG:4326", code, None).unwrap(),
                Proj::new_known_crs(code, "EPSG:4326", None).unwrap(),
            );
            for i in 0..=40 {
                for j in 0..=40 {
                    let lon = lon0 - 1.0 + 8.0 * i as f64 / 40.0 + 1e-7 * j as f64;
                    let lat = lat0 + (lat1 - lat0) * j as f64 / 40.0;
                    let xy: (f64, f64) = known.0.convert((lon, lat)).unwrap();
                    assert_eq!(
                        fast.0.convert((lon, lat)).unwrap(),
                        xy,
                        "{code} ({lon}, {lat})"
                    );
                    let back: (f64, f64) = known.1.convert(xy).unwrap();
                    assert_eq!(fast.1.convert(xy).unwrap(), back, "{code} back from {xy:?}");
                }
            }
        }
        assert_eq!(utm_pipelines(&Crs::Proj("EPSG:4547".into())), None);
        assert_eq!(utm_pipelines(&Crs::Gcj02), None);
    }

    #[test]
    fn utm_zones() {
        assert_eq!(utm_zone(TEDA), Crs::Proj("EPSG:32650".into()));
        assert_eq!(
            utm_zone(Coord {
                x: -46.63,
                y: -23.55
            }),
            Crs::Proj("EPSG:32723".into())
        );
        assert_eq!(
            utm_zone(Coord { x: 24.94, y: 60.17 }),
            Crs::Proj("EPSG:32635".into())
        );
    }

    #[test]
    fn names_parse() {
        assert_eq!("gcj-02".parse::<Crs>().unwrap(), Crs::Gcj02);
        assert_eq!("BD09".parse::<Crs>().unwrap(), Crs::Bd09);
        assert_eq!(
            "urn:ogc:def:crs:OGC:1.3:CRS84".parse::<Crs>().unwrap(),
            Crs::Wgs84
        );
        assert_eq!(
            "urn:ogc:def:crs:EPSG::4490".parse::<Crs>().unwrap(),
            Crs::Proj("EPSG:4490".into())
        );
        let err = "EPSG:999999".parse::<Crs>().unwrap_err().to_string();
        assert!(err.contains("PROJ does not know it"), "{err}");
    }

    #[test]
    fn proj_projects_teda_into_utm_50n() {
        let work = WorkCrs::choose(None, TEDA).unwrap();
        let mut p = geo::Point::from(TEDA);
        work.project(&mut p).unwrap();
        // Zone 50N central meridian is 117E: TEDA is ~62 km east of it.
        assert!((p.x() - 562_000.0).abs() < 2_000.0, "{p:?}");
        assert!((p.y() - 4_322_000.0).abs() < 5_000.0, "{p:?}");
        work.unproject(&mut p).unwrap();
        assert!((p.x() - TEDA.x).abs() < 1e-9 && (p.y() - TEDA.y).abs() < 1e-9);
    }

    #[test]
    fn metres_declared_as_degrees_are_refused() {
        let ll = LonLat::from(&Crs::Wgs84).unwrap();
        let err = ll
            .convert(Coord {
                x: 562_000.0,
                y: 4_322_000.0,
            })
            .unwrap_err();
        assert!(err.to_string().contains("out of range"), "{err}");
    }
}
