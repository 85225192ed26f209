//! ESRI Shapefiles: the `.shp` geometry, its `.shx` index and `.dbf` attributes (all three
//! required), the `.prj` CRS (ESRI WKT, read by PROJ) and the `.cpg` text encoding.
//!
//! Text in the `.dbf` is decoded as the `encoding` setting says; else as the `.cpg` says;
//! else as the DBF's language byte says, when it names one code page (0x4D and 0x7A: GBK);
//! else as UTF-8 if every text value is valid UTF-8; else as GB18030 (the superset of GBK
//! that Chinese Windows writes without saying so). The choice and its reason go into the
//! run's warnings.
//!
//! Every count and offset read from a header is checked against the file's real length
//! before it is used: a record that runs past its file is an error naming the record.
//! Records the `.dbf` marks deleted are skipped, as GIS software does, and counted in the
//! warnings.

use std::path::{Path, PathBuf};

use encoding_rs::Encoding;
use geo::{
    Area, Contains, Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
    Polygon,
};
use serde_json::{Map, Number, Value};

use super::read::Parsed;
use super::CrsSource;
use crate::error::{Error, Result};
use crate::input::crs::Crs;
use crate::warning::{EncodingReason, LayerNote};

fn fail(path: &Path, message: impl Into<String>) -> Error {
    Error::NotGeoJson {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// The file beside `path` with extension `ext` (lower or upper case), if it exists.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_string(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.is_file())
}

fn read_all(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the shapefile set at `path` (the `.shp`), passing each record to `sink`; returns
/// the CRS, how it was known, and a note on the text encoding.
pub(crate) fn read_shapefile(
    path: &Path,
    declared: Option<&Crs>,
    encoding: Option<&str>,
    sink: &mut dyn FnMut(Parsed) -> Result<()>,
) -> Result<(Crs, CrsSource, Option<LayerNote>)> {
    let need = |ext: &str, what: &str| {
        sibling(path, ext).ok_or_else(|| {
            fail(
                path,
                format!(
                    "the shapefile has no .{ext} beside it ({what}); copy the whole set \
                     (.shp, .shx, .dbf, .prj, .cpg)"
                ),
            )
        })
    };
    let shx_path = need("shx", "the index of its records")?;
    let dbf_path = need("dbf", "its attributes")?;
    let shp = read_all(path)?;
    let shx = read_all(&shx_path)?;
    let dbf_bytes = read_all(&dbf_path)?;

    let (crs, source) = match (declared, sibling(path, "prj")) {
        (Some(c), _) => (c.clone(), CrsSource::Declared),
        (None, Some(prj)) => {
            let text = String::from_utf8_lossy(&read_all(&prj)?).into_owned();
            let crs = Crs::from_definition(&text).map_err(|e| {
                fail(
                    &prj,
                    format!("{e}; declare the layer's CRS instead (crs = \"EPSG:...\")"),
                )
            })?;
            (crs, CrsSource::Prj)
        }
        (None, None) => (Crs::Wgs84, CrsSource::Default),
    };

    let shape_type = header_shape_type(path, &shp)?;
    let offsets = index(&shx_path, &shx)?;
    let dbf = Dbf::parse(&dbf_path, &dbf_bytes)?;
    if offsets.len() != dbf.records {
        return Err(fail(
            path,
            format!(
                "the .shx indexes {} records but the .dbf holds {}: the set is out of step",
                offsets.len(),
                dbf.records
            ),
        ));
    }
    let cpg = match sibling(path, "cpg") {
        Some(p) => Some(String::from_utf8_lossy(&read_all(&p)?).trim().to_string()),
        None => None,
    };
    let (text, mut note) = dbf.choose_encoding(&dbf_path, encoding, cpg.as_deref())?;

    let mut deleted = 0;
    for (i, &(offset, length)) in offsets.iter().enumerate() {
        let record = i + 1;
        let row = dbf
            .row(i)
            .ok_or_else(|| fail(&dbf_path, format!("record {record} is past the file's end")))?;
        if row[0] == b'*' {
            deleted += 1;
            continue;
        }
        let geometry = record_geometry(&shp, offset, length, shape_type)
            .map_err(|m| fail(path, format!("record {record}: {m}")))?;
        let properties = dbf.properties(row, text).map_err(|m| {
            fail(
                &dbf_path,
                format!("record {record} (feature index {i}): {m}"),
            )
        })?;
        sink(Parsed {
            index: i,
            feature_id: None,
            properties,
            geometry,
            defects: Vec::new(),
        })?;
    }
    if deleted > 0 {
        let skipped = LayerNote::DeletedRecords(deleted);
        note = Some(match note {
            Some(n) => LayerNote::Several(vec![n, skipped]),
            None => skipped,
        });
    }
    Ok((crs, source, note))
}

// ---- .shp and .shx ----

const NULL: i32 = 0;
const MULTIPATCH: i32 = 31;

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le_i32(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le_f64(b: &[u8], at: usize) -> Option<f64> {
    Some(f64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The shape type of a `.shp` (or `.shx`) header, checked.
fn header_shape_type(path: &Path, bytes: &[u8]) -> Result<i32> {
    if bytes.len() < 100 || be_u32(bytes, 0) != Some(9994) {
        return Err(fail(
            path,
            "not a shapefile: the header is missing or does not start with the file code 9994",
        ));
    }
    let kind = le_i32(bytes, 32).unwrap_or(-1);
    match kind {
        NULL | 1 | 3 | 5 | 8 | 11 | 13 | 15 | 18 | 21 | 23 | 25 | 28 => Ok(kind),
        MULTIPATCH => Err(fail(
            path,
            "MultiPatch shapefiles (3D surfaces) are not supported: export the footprints as polygons",
        )),
        other => Err(fail(
            path,
            format!("shape type {other} in the header is not one the format has"),
        )),
    }
}

/// The record offsets and lengths (bytes) of a `.shx`.
fn index(path: &Path, shx: &[u8]) -> Result<Vec<(usize, usize)>> {
    header_shape_type(path, shx)?;
    let body = &shx[100..];
    if body.len() % 8 != 0 {
        return Err(fail(
            path,
            format!(
                "the index is {} bytes long, not 100 plus a multiple of 8: it is cut short",
                shx.len()
            ),
        ));
    }
    Ok(body
        .chunks_exact(8)
        .map(|c| {
            let words = |at| u32::from_be_bytes([c[at], c[at + 1], c[at + 2], c[at + 3]]);
            (words(0) as usize * 2, words(4) as usize * 2)
        })
        .collect())
}

/// The geometry of the record at `offset` (its 8-byte header) with content `length` bytes.
fn record_geometry(
    shp: &[u8],
    offset: usize,
    length: usize,
    header_type: i32,
) -> std::result::Result<Option<Geometry<f64>>, String> {
    let content = offset
        .checked_add(8)
        .and_then(|start| Some(start..start.checked_add(length)?))
        .and_then(|range| shp.get(range))
        .ok_or_else(|| {
            format!(
                "the .shx puts it at byte {offset}, {length} bytes long, past the end of the \
                 .shp ({} bytes): the file is cut short or the index is wrong",
                shp.len()
            )
        })?;
    let kind = le_i32(content, 0).ok_or("the record is shorter than its shape type")?;
    if kind == NULL {
        return Ok(None);
    }
    if kind != header_type {
        return Err(format!(
            "its shape is {} but the file's header says {}",
            type_name(kind),
            type_name(header_type)
        ));
    }
    let short = || "the record is shorter than its counts say".to_string();
    let point = |at: usize| -> std::result::Result<Coord<f64>, String> {
        let c = Coord {
            x: le_f64(content, at).ok_or_else(short)?,
            y: le_f64(content, at + 8).ok_or_else(short)?,
        };
        if c.x.is_finite() && c.y.is_finite() {
            Ok(c)
        } else {
            Err(format!(
                "a point is not a pair of numbers ({} {})",
                c.x, c.y
            ))
        }
    };
    Ok(Some(match kind % 10 {
        1 => Geometry::Point(Point(point(4)?)),
        8 => {
            let n = count(content, 36, 16, 40)?;
            let points = (0..n)
                .map(|k| point(40 + 16 * k).map(Point))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Geometry::MultiPoint(MultiPoint(points))
        }
        3 | 5 => {
            let parts = count(content, 36, 4, 44)?;
            let points = count(content, 40, 16, 44 + 4 * parts)?;
            let start = 44 + 4 * parts;
            let mut rings = Vec::with_capacity(parts);
            for p in 0..parts {
                let first = part_start(content, 44 + 4 * p, points)?;
                let end = if p + 1 < parts {
                    part_start(content, 48 + 4 * p, points)?
                } else {
                    points
                };
                if end < first {
                    return Err(format!("part {p} starts after the next one"));
                }
                let coords = (first..end)
                    .map(|k| point(start + 16 * k))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                rings.push(LineString(coords));
            }
            if kind % 10 == 3 {
                Geometry::MultiLineString(MultiLineString(rings))
            } else {
                Geometry::MultiPolygon(assemble(rings))
            }
        }
        _ => return Err(format!("shape type {kind} is not supported")),
    }))
}

/// A count at `at` of items `size` bytes each starting at `from`, checked against the record.
fn count(
    content: &[u8],
    at: usize,
    size: usize,
    from: usize,
) -> std::result::Result<usize, String> {
    let n = le_i32(content, at).ok_or("the record is shorter than its counts")?;
    let n = usize::try_from(n).map_err(|_| format!("a negative count ({n})"))?;
    let fits = n
        .checked_mul(size)
        .and_then(|bytes| bytes.checked_add(from))
        .is_some_and(|end| end <= content.len());
    if !fits {
        return Err(format!(
            "it counts {n} items but holds room for {}",
            content.len().saturating_sub(from) / size
        ));
    }
    Ok(n)
}

fn part_start(content: &[u8], at: usize, points: usize) -> std::result::Result<usize, String> {
    let first = le_i32(content, at).ok_or("the record is shorter than its parts")?;
    usize::try_from(first)
        .ok()
        .filter(|&f| f <= points)
        .ok_or_else(|| format!("a part starts at point {first}, outside its {points} points"))
}

fn type_name(kind: i32) -> String {
    let base = match kind % 10 {
        0 => "Null",
        1 => "Point",
        3 => "PolyLine",
        5 => "Polygon",
        8 => "MultiPoint",
        _ => return format!("type {kind}"),
    };
    let suffix = match kind / 10 {
        1 => "Z",
        2 => "M",
        _ => "",
    };
    format!("{base}{suffix}")
}

/// Polygons from shapefile rings: clockwise rings are outer boundaries, counter-clockwise
/// ones holes, each hole in the smallest outer ring that holds it (a hole no outer ring
/// holds is taken as an outer ring, as GDAL does).
fn assemble(rings: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    let (outer, holes): (Vec<_>, Vec<_>) = rings
        .into_iter()
        .filter(|r| !r.0.is_empty())
        .partition(|r| Polygon::new(r.clone(), vec![]).signed_area() <= 0.0);
    nest(outer, holes)
}

/// Polygons of `outer` rings, each of the `holes` in the smallest outer ring that holds it; a
/// hole no outer ring holds becomes a polygon of its own.
pub(super) fn nest(outer: Vec<LineString<f64>>, holes: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    let mut polygons: Vec<Polygon<f64>> =
        outer.into_iter().map(|r| Polygon::new(r, vec![])).collect();
    let areas: Vec<f64> = polygons.iter().map(|p| p.unsigned_area()).collect();
    let mut orphans = Vec::new();
    for hole in holes.into_iter().filter(|h| !h.0.is_empty()) {
        // A vertex inside (or on) the outer ring: holes may touch their ring at a vertex.
        let inside = |p: &Polygon<f64>| hole.0.iter().any(|c| p.contains(c));
        let home = polygons
            .iter()
            .enumerate()
            .filter(|(_, p)| inside(p))
            .min_by(|a, b| areas[a.0].total_cmp(&areas[b.0]))
            .map(|(i, _)| i);
        match home {
            Some(i) => polygons[i].interiors_push(hole),
            None => orphans.push(Polygon::new(hole, vec![])),
        }
    }
    polygons.extend(orphans);
    MultiPolygon(polygons)
}

// ---- .dbf ----

/// A dBase field.
struct Field {
    name: String,
    kind: u8,
    offset: usize,
    length: usize,
    decimals: u8,
}

/// The parsed header of a `.dbf`, over its bytes.
struct Dbf<'a> {
    bytes: &'a [u8],
    records: usize,
    header: usize,
    record_length: usize,
    language: u8,
    fields: Vec<Field>,
}

impl<'a> Dbf<'a> {
    fn parse(path: &Path, bytes: &'a [u8]) -> Result<Dbf<'a>> {
        if bytes.len() < 32 {
            return Err(fail(
                path,
                "not a dBase file: shorter than its 32-byte header",
            ));
        }
        let records = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        let record_length = u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
        let language = bytes[29];
        let fits = records
            .checked_mul(record_length)
            .and_then(|b| b.checked_add(header))
            .is_some_and(|end| end <= bytes.len());
        if header < 33 || record_length == 0 || !fits {
            return Err(fail(
                path,
                format!(
                    "the header declares {records} records of {record_length} bytes after a \
                     {header}-byte header, but the file is {} bytes: it is cut short or not a \
                     dBase file",
                    bytes.len()
                ),
            ));
        }
        let mut fields = Vec::new();
        let mut offset = 1; // the deletion flag
        for d in bytes[32..header].chunks_exact(32) {
            if d[0] == 0x0D {
                break;
            }
            let raw_name = d[..11].split(|&b| b == 0).next().unwrap_or(&[]);
            let name = String::from_utf8_lossy(raw_name).trim().to_string();
            let length = d[16] as usize;
            fields.push(Field {
                name,
                kind: d[11].to_ascii_uppercase(),
                offset,
                length,
                decimals: d[17],
            });
            offset += length;
        }
        if offset > record_length {
            return Err(fail(
                path,
                format!(
                    "its fields add up to {offset} bytes, more than the {record_length}-byte \
                     records"
                ),
            ));
        }
        Ok(Dbf {
            bytes,
            records,
            header,
            record_length,
            language,
            fields,
        })
    }

    fn row(&self, i: usize) -> Option<&'a [u8]> {
        let start = self.header + i * self.record_length;
        self.bytes.get(start..start + self.record_length)
    }

    /// The text fields' raw values, every record.
    fn texts(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.records)
            .filter_map(|i| self.row(i))
            .flat_map(|row| {
                self.fields
                    .iter()
                    .filter(|f| f.kind == b'C')
                    .map(move |f| &row[f.offset..f.offset + f.length])
            })
    }

    /// The encoding to decode text with, and the note saying which and why (`None` when the
    /// text is plain ASCII and no choice mattered).
    fn choose_encoding(
        &self,
        path: &Path,
        declared: Option<&str>,
        cpg: Option<&str>,
    ) -> Result<(&'static Encoding, Option<LayerNote>)> {
        let note = |e: &'static Encoding, why| {
            Some(LayerNote::Encoding {
                // encoding_rs spells it in lower case; planners know it as GB18030.
                encoding: if e == encoding_rs::GB18030 {
                    "GB18030".to_string()
                } else {
                    e.name().to_string()
                },
                why,
            })
        };
        if let Some(label) = declared {
            let e = super::encoding::declared(path, label)?;
            return Ok((e, note(e, EncodingReason::Declared)));
        }
        if let Some(label) = cpg.filter(|l| !l.is_empty()) {
            let e = super::encoding::by_label(label).ok_or_else(|| {
                fail(
                    &path.with_extension("cpg"),
                    format!(
                        "the .cpg names \"{label}\", an encoding lifecircle does not know; \
                         declare it (encoding = \"...\")"
                    ),
                )
            })?;
            return Ok((e, note(e, EncodingReason::Cpg(label.to_string()))));
        }
        if let Some(e) = language_encoding(self.language) {
            return Ok((e, note(e, EncodingReason::LanguageByte(self.language))));
        }
        if self.texts().all(|t| t.is_ascii()) {
            return Ok((encoding_rs::UTF_8, None));
        }
        if self.texts().all(|t| std::str::from_utf8(t).is_ok()) {
            return Ok((
                encoding_rs::UTF_8,
                note(encoding_rs::UTF_8, EncodingReason::ValidUtf8),
            ));
        }
        Ok((
            encoding_rs::GB18030,
            note(encoding_rs::GB18030, EncodingReason::NotUtf8),
        ))
    }

    /// The attributes of one record.
    fn properties(
        &self,
        row: &[u8],
        text: &'static Encoding,
    ) -> std::result::Result<Map<String, Value>, String> {
        let mut out = Map::new();
        for f in &self.fields {
            let raw = &row[f.offset..f.offset + f.length];
            let value =
                field_value(f, raw, text).map_err(|m| format!("field \"{}\": {m}", f.name))?;
            out.insert(f.name.clone(), value);
        }
        Ok(out)
    }
}

/// The encoding a DBF language byte (LDID) names, when it names one code page. 0x00 (none)
/// and 0x57 (the writer's "ANSI" code page, whatever it was) say nothing.
fn language_encoding(ldid: u8) -> Option<&'static Encoding> {
    let page = match ldid {
        0x4D | 0x7A => 936,
        0x4F | 0x78 => 950,
        0x4E | 0x79 => 949,
        0x13 | 0x7B => 932,
        0x50 | 0x7C => 874,
        0x03 | 0x58 | 0x59 => 1252,
        0x26 | 0x65 => 866,
        0x7D => 1255,
        0x7E => 1256,
        0xC8 => 1250,
        0xC9 => 1251,
        0xCA => 1254,
        0xCB => 1253,
        0xCC => 1257,
        _ => return None,
    };
    super::encoding::code_page(page)
}

fn field_value(
    f: &Field,
    raw: &[u8],
    text: &'static Encoding,
) -> std::result::Result<Value, String> {
    let trimmed = trim(raw);
    Ok(match f.kind {
        b'C' => {
            // Text keeps its leading spaces, as GDAL reads it.
            let end = raw
                .iter()
                .rposition(|b| *b != b' ' && *b != 0)
                .map_or(0, |e| e + 1);
            if end == 0 {
                return Ok(Value::Null);
            }
            let decoded = text
                .decode_without_bom_handling_and_without_replacement(&raw[..end])
                .ok_or_else(|| {
                    format!("its text is not valid {}", text.name().to_ascii_uppercase())
                })?;
            Value::String(decoded.into_owned())
        }
        b'N' | b'F' => {
            let s = std::str::from_utf8(trimmed).map_err(|_| "a number field holds text")?;
            if s.is_empty() || s.chars().all(|c| c == '*' || c == '.') {
                return Ok(Value::Null);
            }
            if f.decimals == 0 {
                if let Ok(i) = s.parse::<i64>() {
                    return Ok(Value::Number(i.into()));
                }
            }
            let v: f64 = s.parse().map_err(|_| format!("\"{s}\" is not a number"))?;
            Number::from_f64(v).map_or(Value::Null, Value::Number)
        }
        b'L' => match trimmed.first() {
            Some(b'T' | b't' | b'Y' | b'y') => Value::Bool(true),
            Some(b'F' | b'f' | b'N' | b'n') => Value::Bool(false),
            _ => Value::Null,
        },
        b'D' => match std::str::from_utf8(trimmed) {
            Ok(s) if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) => {
                Value::String(format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..]))
            }
            Ok("") => Value::Null,
            _ => {
                return Err(format!(
                    "\"{}\" is not a date (YYYYMMDD)",
                    String::from_utf8_lossy(trimmed)
                ))
            }
        },
        b'I' if raw.len() == 4 => {
            Value::Number(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]).into())
        }
        b'O' if raw.len() == 8 => {
            let v = f64::from_le_bytes(raw.try_into().map_err(|_| "a double of the wrong size")?);
            Number::from_f64(v).map_or(Value::Null, Value::Number)
        }
        // Memo fields point into a .dbt lifecircle does not read.
        b'M' => Value::Null,
        other => {
            return Err(format!(
                "field type '{}' is not one lifecircle reads",
                char::from(other)
            ))
        }
    })
}

/// A DBF value without its padding (spaces and NULs).
fn trim(raw: &[u8]) -> &[u8] {
    let pad = |b: &u8| *b == b' ' || *b == 0;
    let start = raw.iter().position(|b| !pad(b)).unwrap_or(raw.len());
    let end = raw.iter().rposition(|b| !pad(b)).map_or(start, |e| e + 1);
    &raw[start..end]
}
