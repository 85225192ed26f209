//! GeoPackage layers (OGC GeoPackage 1.x, read with rusqlite): the feature table named by
//! `layer` (required when the file holds several), its geometry column from
//! `gpkg_geometry_columns`, its CRS from `gpkg_spatial_ref_sys`, and every other column as a
//! property. The file is opened read-only; table and column names read from the file are
//! quoted as identifiers.
//!
//! A geometry blob is a GeoPackage header (magic `GP`, version, flags with the envelope size
//! and byte order) followed by standard WKB; both are checked against the blob's length
//! before anything is read.

use std::path::Path;

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Number, Value};

use super::read::Parsed;
use super::CrsSource;
use crate::error::{Error, Result};
use crate::input::crs::Crs;

fn fail(path: &Path, message: impl Into<String>) -> Error {
    Error::NotGeoJson {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// A name read from the file, quoted as an SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Reads the feature layer `layer` (or the only one) of the GeoPackage at `path`.
pub(crate) fn read_geopackage(
    path: &Path,
    layer: Option<&str>,
    declared: Option<&Crs>,
    sink: &mut dyn FnMut(Parsed) -> Result<()>,
) -> Result<(Crs, CrsSource)> {
    let sql = |e: rusqlite::Error| fail(path, format!("not a readable GeoPackage: {e}"));
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
    let mut layers: Vec<String> = db
        .prepare(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name",
        )
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .map_err(sql)?;
    let table = match (layer, layers.len()) {
        (Some(name), _) if layers.iter().any(|l| l == name) => name.to_string(),
        (Some(name), _) => {
            return Err(fail(
                path,
                format!(
                    "no feature layer \"{name}\"; its layers are {}",
                    list(&layers)
                ),
            ))
        }
        (None, 1) => layers.remove(0),
        (None, 0) => return Err(fail(path, "the GeoPackage holds no feature layer")),
        (None, _) => {
            return Err(fail(
                path,
                format!(
                    "the GeoPackage holds several layers: say which with layer = \"...\" ({})",
                    list(&layers)
                ),
            ))
        }
    };
    // gpkg_contents is a promise: the table it names may be gone.
    let exists: bool = db
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?1",
            [&table],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if !exists {
        return Err(fail(
            path,
            format!("gpkg_contents lists layer \"{table}\" but the file has no such table"),
        ));
    }
    let (column, srs): (String, i64) = db
        .query_row(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1",
            [&table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| {
            fail(
                path,
                format!("layer \"{table}\" has no geometry column: {e}"),
            )
        })?;
    let (crs, source) = match declared {
        Some(c) => (c.clone(), CrsSource::Declared),
        None => (layer_crs(&db, srs).map_err(sql)?, CrsSource::File),
    };
    let mut statement = db
        .prepare(&format!("SELECT * FROM {}", quoted(&table)))
        .map_err(sql)?;
    let names = column_names(&db, &table).map_err(sql)?;
    if names.len() != statement.column_count() {
        return Err(fail(
            path,
            format!(
                "layer \"{table}\" lists {} columns but its rows have {}",
                names.len(),
                statement.column_count()
            ),
        ));
    }
    let mut rows = statement.query([]).map_err(sql)?;
    let mut index = 0;
    while let Some(row) = rows.next().map_err(sql)? {
        let mut properties = Map::new();
        let mut geometry = None;
        for (k, name) in names.iter().enumerate() {
            let value = row.get_ref(k).map_err(sql)?;
            if *name == column {
                geometry = match value {
                    ValueRef::Blob(b) => Some(geometry_of(b).map_err(|m| {
                        fail(path, format!("layer \"{table}\", row {}: {m}", index + 1))
                    })?),
                    _ => None,
                };
                continue;
            }
            properties.insert(name.clone(), json_value(value));
        }
        sink(Parsed {
            index,
            feature_id: None,
            properties,
            geometry,
            defects: Vec::new(),
        })?;
        index += 1;
    }
    Ok((crs, source))
}

/// The column names of `table`, in order, from `PRAGMA table_info` (rusqlite's own
/// `column_names` panics on a name that is not UTF-8; this reads it with replacements).
fn column_names(db: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut info = db.prepare(&format!("PRAGMA table_info({})", quoted(table)))?;
    let names = info.query_map([], |r| {
        Ok(match r.get_ref(1)? {
            ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
            ValueRef::Integer(i) => i.to_string(),
            ValueRef::Real(v) => v.to_string(),
            ValueRef::Null => String::new(),
        })
    })?;
    names.collect()
}

fn list(layers: &[String]) -> String {
    if layers.is_empty() {
        "none".into()
    } else {
        layers.join(", ")
    }
}

/// The CRS of `srs_id`: `AUTHORITY:CODE` when it has one, else its WKT definition.
fn layer_crs(db: &Connection, srs: i64) -> rusqlite::Result<Crs> {
    let (org, code, definition): (String, i64, String) = db.query_row(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys \
         WHERE srs_id = ?1",
        [srs],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(match (org.to_ascii_uppercase().as_str(), code) {
        ("EPSG", 4326) => Crs::Wgs84,
        ("EPSG", c) => Crs::Proj(format!("EPSG:{c}")),
        _ => Crs::Proj(definition),
    })
}

fn json_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Number(i.into()),
        ValueRef::Real(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(_) => Value::Null,
    }
}

/// The geometry of a GeoPackage blob.
fn geometry_of(blob: &[u8]) -> std::result::Result<Geometry<f64>, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("the geometry is not a GeoPackage blob (no GP header)".into());
    }
    if blob[2] != 0 {
        return Err(format!("GeoPackage blob version {} is not 0", blob[2]));
    }
    let flags = blob[3];
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => {
            return Err(format!(
                "the blob's envelope code {e} is not one the standard has"
            ))
        }
    };
    if flags & 0b1_0000 != 0 {
        return Err("the geometry is empty".into());
    }
    let start = 8 + envelope;
    let wkb = blob
        .get(start..)
        .ok_or("the blob is shorter than its header says")?;
    let mut reader = Wkb { bytes: wkb, at: 0 };
    reader.geometry()
}

/// The parts of a multi-geometry of WKB type `base`, each of the one type `pick` takes.
fn all_of<T>(
    parts: impl Iterator<Item = Geometry<f64>>,
    base: u32,
    pick: impl Fn(Geometry<f64>) -> Option<T>,
) -> std::result::Result<Vec<T>, String> {
    parts
        .map(|g| {
            pick(g).ok_or_else(|| {
                format!("a part of a multi-geometry (type {base}) is of another type")
            })
        })
        .collect()
}

/// A WKB reader that checks every length against the bytes it has.
struct Wkb<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Wkb<'_> {
    fn take<const N: usize>(&mut self) -> std::result::Result<[u8; N], String> {
        let end = self.at + N;
        let slice = self
            .bytes
            .get(self.at..end)
            .ok_or("the WKB ends before its geometry does")?;
        self.at = end;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn u32(&mut self, little: bool) -> std::result::Result<u32, String> {
        let b = self.take::<4>()?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self, little: bool) -> std::result::Result<f64, String> {
        let b = self.take::<8>()?;
        Ok(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    /// A count, checked against the bytes left (each item takes at least `min` bytes).
    fn count(&mut self, little: bool, min: usize) -> std::result::Result<usize, String> {
        let n = self.u32(little)? as usize;
        if n.saturating_mul(min) > self.bytes.len() - self.at {
            return Err(format!(
                "the WKB declares {n} parts, more than its bytes hold"
            ));
        }
        Ok(n)
    }

    fn coord(&mut self, little: bool, dims: usize) -> std::result::Result<Coord<f64>, String> {
        let x = self.f64(little)?;
        let y = self.f64(little)?;
        for _ in 2..dims {
            self.f64(little)?;
        }
        if !(x.is_finite() && y.is_finite()) {
            return Err(format!("a point is not a pair of numbers ({x} {y})"));
        }
        Ok(Coord { x, y })
    }

    fn line(&mut self, little: bool, dims: usize) -> std::result::Result<LineString<f64>, String> {
        let n = self.count(little, 8 * dims)?;
        (0..n)
            .map(|_| self.coord(little, dims))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(LineString)
    }

    fn polygon(&mut self, little: bool, dims: usize) -> std::result::Result<Polygon<f64>, String> {
        let rings = self.count(little, 4)?;
        let mut all = (0..rings)
            .map(|_| self.line(little, dims))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if all.is_empty() {
            return Ok(Polygon::new(LineString(Vec::new()), Vec::new()));
        }
        let exterior = all.remove(0);
        Ok(Polygon::new(exterior, all))
    }

    fn geometry(&mut self) -> std::result::Result<Geometry<f64>, String> {
        let little = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            b => return Err(format!("WKB byte order {b} is neither 0 nor 1")),
        };
        let code = self.u32(little)?;
        // ISO codes: +1000 Z, +2000 M, +3000 ZM; EWKB-style high bits for Z and M.
        let (base, dims) = match code {
            c if c & 0x8000_0000 != 0 || c & 0x4000_0000 != 0 => {
                let extra = usize::from(c & 0x8000_0000 != 0) + usize::from(c & 0x4000_0000 != 0);
                (c & 0x0FFF_FFFF, 2 + extra)
            }
            c => (
                c % 1000,
                2 + match c / 1000 {
                    1 | 2 => 1,
                    3 => 2,
                    _ => 0,
                },
            ),
        };
        Ok(match base {
            1 => Geometry::Point(Point(self.coord(little, dims)?)),
            2 => Geometry::LineString(self.line(little, dims)?),
            3 => Geometry::Polygon(self.polygon(little, dims)?),
            4..=6 => {
                let n = self.count(little, 5)?;
                let parts = (0..n)
                    .map(|_| self.geometry())
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                let parts = parts.into_iter();
                match base {
                    4 => Geometry::MultiPoint(MultiPoint(all_of(parts, base, |g| match g {
                        Geometry::Point(p) => Some(p),
                        _ => None,
                    })?)),
                    5 => Geometry::MultiLineString(MultiLineString(all_of(parts, base, |g| {
                        match g {
                            Geometry::LineString(l) => Some(l),
                            _ => None,
                        }
                    })?)),
                    _ => Geometry::MultiPolygon(MultiPolygon(all_of(parts, base, |g| match g {
                        Geometry::Polygon(p) => Some(p),
                        _ => None,
                    })?)),
                }
            }
            other => return Err(format!("WKB geometry type {other} is not read (points, lines, polygons and their multi-forms are)")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::gpkg::{gp_header, wkb_multipoint, wkb_multipolygon, wkb_point, Envelope};
    use geo::wkt;

    /// A blob with an envelope (the reader skips it: 32 bytes), then the WKB.
    fn blob(wkb: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let envelope = Envelope {
            min_x: 0.0,
            max_x: 1.0,
            min_y: 0.0,
            max_y: 1.0,
        };
        let mut out = gp_header(4326, Some(envelope));
        wkb(&mut out);
        out
    }

    #[test]
    fn blobs_written_by_lifecircle_read_back() {
        let c = Coord { x: 117.2, y: 39.1 };
        assert_eq!(
            geometry_of(&blob(|o| wkb_point(o, c))).unwrap(),
            Geometry::Point(Point(c))
        );
        let entrances = [c, Coord { x: 117.3, y: 39.2 }];
        assert_eq!(
            geometry_of(&blob(|o| wkb_multipoint(o, &entrances))).unwrap(),
            Geometry::MultiPoint(MultiPoint(entrances.iter().map(|&c| Point(c)).collect()))
        );
        let square =
            wkt!(POLYGON((0. 0.,1. 0.,1. 1.,0. 1.,0. 0.),(0.2 0.2,0.2 0.4,0.4 0.4,0.2 0.2)));
        assert_eq!(
            geometry_of(&blob(|o| wkb_multipolygon(
                o,
                std::slice::from_ref(&square)
            )))
            .unwrap(),
            Geometry::MultiPolygon(MultiPolygon(vec![square]))
        );
    }

    #[test]
    fn broken_blobs_are_refused_not_read_past_their_end() {
        let whole = blob(|o| wkb_point(o, Coord { x: 1.0, y: 2.0 }));
        let err = geometry_of(&whole[..whole.len() - 3]).unwrap_err();
        assert!(err.contains("ends before its geometry does"), "{err}");
        assert!(geometry_of(b"XY\x00\x01\x00\x00\x00\x00")
            .unwrap_err()
            .contains("no GP header"));
        let empty = gp_header(4326, None);
        assert!(geometry_of(&empty).unwrap_err().contains("empty"));
        // A multipolygon that declares four billion parts in a few bytes.
        let mut huge = blob(|_| {});
        huge.extend_from_slice(&[1, 6, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        let err = geometry_of(&huge).unwrap_err();
        assert!(err.contains("more than its bytes hold"), "{err}");
    }
}
