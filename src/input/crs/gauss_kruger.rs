//! CGCS2000 Gauss-Krüger zones: which zone a CRS is, and whether coordinates belong to it.
//!
//! Chinese survey and planning data is mostly in CGCS2000 Gauss-Krüger projections, 3 or 6
//! degrees wide, in two forms: with the zone number prefixed to the easting (zone 39:
//! eastings 39 400 000 to 39 600 000, EPSG:4527) or without it (central meridian 117E:
//! eastings around 500 000, EPSG:4548). The EPSG definitions list northing first; files
//! hold easting first, as GIS software writes them, and PROJ's axis normalisation takes
//! them so. A wrong zone still transforms to a plausible place (one zone off is 3 degrees
//! off), so the eastings are checked against the zone before transforming, and a miss
//! names the zone the data looks like it is in.

use geo::Coord;

use super::Crs;

/// A CGCS2000 Gauss-Krüger projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    /// Zone width in degrees: 3 or 6.
    pub width: u32,
    /// Central meridian, degrees east.
    pub meridian: u32,
    /// Whether eastings carry the zone number (zone × 1 000 000 added).
    pub prefixed: bool,
}

// The EPSG code ranges of CGCS2000 Gauss-Krüger zones (all centred 75E to 135E).
const SIX_PREFIXED: u32 = 4491; // zones 13..=23
const SIX_PLAIN: u32 = 4502; // CM 75E..=135E
const THREE_PREFIXED: u32 = 4513; // zones 25..=45
const THREE_PLAIN: u32 = 4534; // CM 75E..=135E

impl Zone {
    /// The zone a CRS is, from its EPSG code or the name in its WKT (EPSG's
    /// "CGCS2000 / 3-degree Gauss-Kruger zone 39", ESRI's "CGCS2000_3_Degree_GK_CM_117E").
    pub fn of(crs: &Crs) -> Option<Zone> {
        let Crs::Proj(definition) = crs else {
            return None;
        };
        if let Some(code) = definition
            .strip_prefix("EPSG:")
            .and_then(|c| c.parse::<u32>().ok())
        {
            return Zone::from_epsg(code);
        }
        Zone::from_name(super::wkt_name(definition)?)
    }

    fn from_epsg(code: u32) -> Option<Zone> {
        let (width, prefixed, first) = match code {
            4491..=4501 => (6, true, SIX_PREFIXED),
            4502..=4512 => (6, false, SIX_PLAIN),
            4513..=4533 => (3, true, THREE_PREFIXED),
            4534..=4554 => (3, false, THREE_PLAIN),
            _ => return None,
        };
        Some(Zone {
            width,
            meridian: 75 + width * (code - first),
            prefixed,
        })
    }

    fn from_name(name: &str) -> Option<Zone> {
        let lower = name.to_ascii_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let has = |w: &str| words.contains(&w);
        if !has("cgcs2000") || !(has("gk") || has("gauss")) {
            return None;
        }
        let width = if words.windows(2).any(|w| w == ["3", "degree"]) {
            3
        } else {
            6
        };
        let after = |key: &str| {
            words
                .iter()
                .position(|w| *w == key)
                .and_then(|i| words.get(i + 1))
        };
        let zone = if let Some(n) = after("zone").and_then(|z| z.parse::<u32>().ok()) {
            Zone::numbered(width, n)?
        } else {
            let cm = after("cm")?.trim_end_matches('e').parse::<u32>().ok()?;
            Zone {
                width,
                meridian: cm,
                prefixed: false,
            }
        };
        zone.epsg().map(|_| zone)
    }

    /// The zone numbered `n` in the `width`-degree series (zone 39: CM 117E).
    fn numbered(width: u32, n: u32) -> Option<Zone> {
        if n == 0 {
            return None;
        }
        let meridian = if width == 3 { 3 * n } else { 6 * n - 3 };
        Some(Zone {
            width,
            meridian,
            prefixed: true,
        })
    }

    /// The zone number: CM / 3 for 3-degree zones, (CM + 3) / 6 for 6-degree ones.
    pub fn number(&self) -> u32 {
        if self.width == 3 {
            self.meridian / 3
        } else {
            (self.meridian + 3) / 6
        }
    }

    /// The EPSG code, when EPSG defines this zone (central meridians 75E to 135E).
    pub fn epsg(&self) -> Option<u32> {
        if !(75..=135).contains(&self.meridian) || (self.meridian - 75) % self.width != 0 {
            return None;
        }
        let step = (self.meridian - 75) / self.width;
        let first = match (self.width, self.prefixed) {
            (6, true) => SIX_PREFIXED,
            (6, false) => SIX_PLAIN,
            (3, true) => THREE_PREFIXED,
            (3, false) => THREE_PLAIN,
            _ => return None,
        };
        Some(first + step)
    }

    /// How the zone is named in messages: "EPSG:4527 (3-degree zone 39, eastings prefixed)".
    pub fn describe(&self) -> String {
        let code = self
            .epsg()
            .map_or_else(String::new, |c| format!("EPSG:{c} "));
        if self.prefixed {
            format!(
                "{code}({}-degree zone {}, eastings prefixed with {})",
                self.width,
                self.number(),
                self.number()
            )
        } else {
            format!(
                "{code}({}-degree, central meridian {}E, no zone prefix)",
                self.width, self.meridian
            )
        }
    }

    /// The same zone with or without the prefix.
    fn with_prefix(&self, prefixed: bool) -> Zone {
        Zone { prefixed, ..*self }
    }

    /// The zone of this width whose prefix is `n`, if it is one.
    fn prefixed_zone(&self, n: u32) -> Option<Zone> {
        Zone::numbered(self.width, n).filter(|z| z.epsg().is_some())
    }

    /// Checks one coordinate (easting, northing) against the zone; `Err` says what the
    /// data looks like instead.
    pub fn check(&self, c: Coord<f64>) -> Result<(), String> {
        let prefix_of = |v: f64| (v / 1_000_000.0).floor();
        let own = f64::from(self.number());
        // Eastings of a zone lie within some 400 km of the false easting (500 000).
        let fits = |x: f64| {
            let easting = if self.prefixed { x - own * 1e6 } else { x };
            (0.0..1_000_000.0).contains(&easting)
        };
        if fits(c.x) {
            return Ok(());
        }
        let declared = self.describe();
        if fits(c.y) && c.x > 1_000_000.0 && c.x < 10_000_000.0 {
            return Err(format!(
                "coordinate ({}, {}) looks like northing, easting; files hold easting first \
                 (x = easting) in {declared}: swap the columns",
                c.x, c.y
            ));
        }
        let looks = if c.x >= 0.0 && c.x < 1_000_000.0 && self.prefixed {
            Some(self.with_prefix(false))
        } else if c.x >= 10_000_000.0 {
            let n = prefix_of(c.x);
            (n < 1000.0)
                .then(|| self.prefixed_zone(n as u32))
                .flatten()
                .map(|z| {
                    if self.prefixed {
                        z
                    } else {
                        z.with_prefix(true)
                    }
                })
        } else {
            None
        };
        Err(match looks {
            Some(zone) => format!(
                "easting {} does not fall in {declared}; the data looks like it is in {}",
                c.x,
                zone.describe()
            ),
            None => format!(
                "easting {} does not fall in {declared}; is the declared CRS right?",
                c.x
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(code: &str) -> Zone {
        Zone::of(&Crs::Proj(code.into())).unwrap()
    }

    #[test]
    fn epsg_codes_name_their_zones() {
        let z39 = zone("EPSG:4527");
        assert_eq!((z39.width, z39.meridian, z39.prefixed), (3, 117, true));
        assert_eq!(z39.number(), 39);
        let cm117 = zone("EPSG:4548");
        assert_eq!(
            (cm117.width, cm117.meridian, cm117.prefixed),
            (3, 117, false)
        );
        // 6-degree zone 20 is centred on 117E too.
        let z20 = zone("EPSG:4498");
        assert_eq!((z20.width, z20.meridian, z20.number()), (6, 117, 20));
        assert_eq!(zone("EPSG:4509").meridian, 117);
        for code in 4491..=4554 {
            assert_eq!(Zone::from_epsg(code).unwrap().epsg(), Some(code));
        }
        assert_eq!(Zone::of(&Crs::Proj("EPSG:32650".into())), None);
    }

    #[test]
    fn wkt_names_name_their_zones() {
        let esri = "PROJCS[\"CGCS2000_3_Degree_GK_Zone_39\",GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\"]]";
        assert_eq!(
            Zone::of(&Crs::Proj(esri.into())).unwrap().epsg(),
            Some(4527)
        );
        let esri_cm = "PROJCS[\"CGCS2000_3_Degree_GK_CM_117E\",GEOGCS[\"x\"]]";
        assert_eq!(
            Zone::of(&Crs::Proj(esri_cm.into())).unwrap().epsg(),
            Some(4548)
        );
        let epsg =
            "PROJCRS[\"CGCS2000 / 3-degree Gauss-Kruger zone 39\",BASEGEOGCRS[\"CGCS2000\"]]";
        assert_eq!(
            Zone::of(&Crs::Proj(epsg.into())).unwrap().epsg(),
            Some(4527)
        );
        let six = "PROJCS[\"CGCS2000_GK_Zone_20\",GEOGCS[\"x\"]]";
        assert_eq!(Zone::of(&Crs::Proj(six.into())).unwrap().epsg(), Some(4498));
        let utm = "PROJCS[\"WGS_1984_UTM_Zone_50N\",GEOGCS[\"x\"]]";
        assert_eq!(Zone::of(&Crs::Proj(utm.into())), None);
    }

    #[test]
    fn coordinates_in_the_zone_pass() {
        let teda = Coord {
            x: 39_562_000.0,
            y: 4_322_000.0,
        };
        assert!(zone("EPSG:4527").check(teda).is_ok());
        let plain = Coord {
            x: 562_000.0,
            y: 4_322_000.0,
        };
        assert!(zone("EPSG:4548").check(plain).is_ok());
    }

    #[test]
    fn a_miss_names_the_zone_the_data_is_in() {
        let z39 = zone("EPSG:4527");
        let zone38 = z39
            .check(Coord {
                x: 38_420_000.0,
                y: 4_322_000.0,
            })
            .unwrap_err();
        assert!(zone38.contains("EPSG:4526 (3-degree zone 38"), "{zone38}");
        let plain = z39
            .check(Coord {
                x: 562_000.0,
                y: 4_322_000.0,
            })
            .unwrap_err();
        assert!(plain.contains("EPSG:4548"), "{plain}");
        let prefixed = zone("EPSG:4548")
            .check(Coord {
                x: 39_562_000.0,
                y: 4_322_000.0,
            })
            .unwrap_err();
        assert!(prefixed.contains("EPSG:4527"), "{prefixed}");
        let swapped = z39
            .check(Coord {
                x: 4_322_000.0,
                y: 39_562_000.0,
            })
            .unwrap_err();
        assert!(swapped.contains("northing, easting"), "{swapped}");
    }
}
