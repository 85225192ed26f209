//! Tables of points: CSV files whose rows carry a longitude and latitude (or x and y, or a
//! WKT geometry), as GIS staff export them from spreadsheets and web-map tools.
//!
//! Columns are found by name, case-insensitive: `lon`, `lng`, `longitude` or `x`, and `lat`,
//! `latitude` or `y`; else a `wkt` column. `x`, `y` and `wkt` in the layer's settings name
//! other columns. Text is UTF-8 when the whole file is valid UTF-8 (a byte order mark is
//! skipped), else GB18030 (the superset of GBK and GB2312 that Chinese Excel writes);
//! `encoding` in the settings overrides both. Cells that read as numbers become numbers;
//! empty cells are missing values; everything else is text.

use std::io::Read;
use std::path::Path;

use geo::{Coord, Geometry, Point};
use serde_json::{Map, Number, Value};
use wkt::TryFromWkt;

use crate::warning::{EncodingReason, LayerNote};

use super::read::Parsed;
use super::CrsSource;
use crate::error::{Error, Result};
use crate::input::config::TableColumns;
use crate::input::crs::Crs;

/// How the text of a table was decoded, and why.
pub(crate) fn decode(
    path: &Path,
    bytes: &[u8],
    declared: Option<&str>,
) -> Result<(String, Option<LayerNote>)> {
    if let Some(label) = declared {
        let encoding = super::encoding::declared(path, label)?;
        let (text, _, bad) = encoding.decode(bytes);
        if bad {
            return Err(Error::NotGeoJson {
                path: path.to_path_buf(),
                message: format!("the text is not valid {} as declared", encoding.name()),
            });
        }
        return Ok((
            text.into_owned(),
            Some(LayerNote::Encoding {
                encoding: encoding.name().to_string(),
                why: EncodingReason::Declared,
            }),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((text.to_string(), None)),
        Err(_) => {
            let (text, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err(Error::NotGeoJson {
                    path: path.to_path_buf(),
                    message: "the text is neither UTF-8 nor GB18030: give its encoding \
                              (encoding = \"...\")"
                        .into(),
                });
            }
            Ok((
                text.into_owned(),
                Some(LayerNote::Encoding {
                    encoding: "GB18030".into(),
                    why: EncodingReason::NotUtf8,
                }),
            ))
        }
    }
}

/// Where the geometry of a row comes from.
enum Columns {
    Xy(usize, usize),
    Wkt(usize),
}

/// Finds the geometry columns among `headers`.
fn geometry_columns(path: &Path, headers: &[String], table: &TableColumns) -> Result<Columns> {
    let find = |wanted: &[&str]| {
        headers
            .iter()
            .position(|h| wanted.iter().any(|w| h.trim().eq_ignore_ascii_case(w)))
    };
    let named = |name: &Option<String>, defaults: &[&'static str]| -> Result<Option<usize>> {
        match name {
            Some(n) => find(&[n.as_str()])
                .map(Some)
                .ok_or_else(|| Error::NotGeoJson {
                    path: path.to_path_buf(),
                    message: format!("no column \"{n}\"; the columns are {}", headers.join(", ")),
                }),
            None => Ok(find(defaults)),
        }
    };
    let x = named(&table.x, &["lon", "lng", "longitude", "x"])?;
    let y = named(&table.y, &["lat", "latitude", "y"])?;
    let wkt = named(&table.wkt, &["wkt"])?;
    match (x, y, wkt) {
        (_, _, Some(w)) if table.wkt.is_some() || x.is_none() || y.is_none() => Ok(Columns::Wkt(w)),
        (Some(x), Some(y), _) => Ok(Columns::Xy(x, y)),
        _ => Err(Error::NotGeoJson {
            path: path.to_path_buf(),
            message: format!(
                "no coordinate columns: expected lon/lng/longitude/x and lat/latitude/y, or \
                 wkt (name others with x = \"...\", y = \"...\" or wkt = \"...\"); the columns \
                 are {}",
                headers.join(", ")
            ),
        }),
    }
}

/// A cell as a property value: a number when it reads as one, nothing when empty.
fn cell_value(cell: &str) -> Value {
    let t = cell.trim();
    if t.is_empty() {
        return Value::Null;
    }
    match t
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .and_then(Number::from_f64)
    {
        Some(n) if t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) => {
            match t.parse::<i64>() {
                Ok(i) => Value::Number(i.into()),
                Err(_) => Value::Number(n),
            }
        }
        _ => Value::String(t.to_string()),
    }
}

/// A row's problem, naming its row (1 = the first below the header), line and column.
fn row_error(path: &Path, row: usize, line: u64, column: &str, message: String) -> Error {
    Error::NotGeoJson {
        path: path.to_path_buf(),
        message: format!("row {row} (line {line}), column \"{column}\": {message}"),
    }
}

/// A row the CSV reader could not read, named by its row (and line, when known).
fn record_error(path: &Path, row: usize, e: &csv::Error) -> Error {
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => {
            let line = pos
                .as_ref()
                .map(|p| format!(" (line {})", p.line()))
                .unwrap_or_default();
            format!("row {row}{line}: it has {len} fields where the header has {expected_len}")
        }
        _ => format!("row {row}: {e}"),
    };
    Error::NotGeoJson {
        path: path.to_path_buf(),
        message: format!("not a readable CSV table: {message}"),
    }
}

/// Reads a CSV table from `reader`, passing each row to `sink` as a feature; returns the
/// CRS (declared, else WGS 84) and how the text was decoded when not plain UTF-8.
pub(crate) fn read_table(
    path: &Path,
    mut reader: impl Read,
    declared: Option<&Crs>,
    table: &TableColumns,
    sink: &mut dyn FnMut(Parsed) -> Result<()>,
) -> Result<(Crs, CrsSource, Option<LayerNote>)> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let (text, encoding) = decode(path, &bytes, table.encoding.as_deref())?;
    let mut csv = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let csv_error = |e: csv::Error| Error::NotGeoJson {
        path: path.to_path_buf(),
        message: format!("not a readable CSV table: {e}"),
    };
    let headers: Vec<String> = csv
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(str::to_string)
        .collect();
    let columns = geometry_columns(path, &headers, table)?;
    for (index, record) in csv.records().enumerate() {
        let row = index + 1;
        let record = record.map_err(|e| record_error(path, row, &e))?;
        // The line the row starts on: cells may hold line breaks, blank lines are skipped.
        let line = record.position().map_or(row as u64 + 1, |p| p.line());
        let number = |c: usize| -> Result<f64> {
            let cell = record.get(c).unwrap_or("").trim();
            cell.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    row_error(
                        path,
                        row,
                        line,
                        &headers[c],
                        format!("\"{cell}\" is not a number"),
                    )
                })
        };
        let geometry = match columns {
            Columns::Xy(x, y) => Geometry::Point(Point(Coord {
                x: number(x)?,
                y: number(y)?,
            })),
            Columns::Wkt(w) => {
                let cell = record.get(w).unwrap_or("");
                Geometry::try_from_wkt_str(cell).map_err(|e| {
                    row_error(
                        path,
                        row,
                        line,
                        &headers[w],
                        format!("not a WKT geometry: {e}"),
                    )
                })?
            }
        };
        let properties: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, c)| (h.clone(), cell_value(c)))
            .collect();
        sink(Parsed {
            index,
            feature_id: None,
            properties,
            geometry: Some(geometry),
            defects: Vec::new(),
        })?;
    }
    let (crs, source) = match declared {
        Some(c) => (c.clone(), CrsSource::Declared),
        None => (Crs::Wgs84, CrsSource::Default),
    };
    Ok((crs, source, encoding))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8], table: &TableColumns) -> Result<(Vec<Parsed>, Option<LayerNote>)> {
        let mut rows = Vec::new();
        let (_, _, encoding) = read_table(Path::new("t.csv"), bytes, None, table, &mut |p| {
            rows.push(p);
            Ok(())
        })?;
        Ok((rows, encoding))
    }

    #[test]
    fn lon_lat_columns_are_found_and_cells_typed() {
        let (rows, encoding) = read(
            b"ID,Name,Lon,Lat,population\nm1,Market,117.2,39.1,1200\nm2,,117.3,39.2,\n",
            &TableColumns::default(),
        )
        .unwrap();
        assert_eq!(encoding, None);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].geometry,
            Some(Geometry::Point(Point::new(117.2, 39.1)))
        );
        assert_eq!(rows[0].properties["population"], Value::from(1200));
        assert_eq!(rows[0].properties["ID"], Value::from("m1"));
        assert_eq!(rows[1].properties["Name"], Value::Null);
        assert_eq!(rows[1].index, 1);
    }

    #[test]
    fn gb18030_text_is_detected_and_said() {
        let (gbk, _, _) =
            encoding_rs::GB18030.encode("id,name,lng,lat\nc1,泰达东社区,117.7,39.0\n");
        let (rows, encoding) = read(&gbk, &TableColumns::default()).unwrap();
        assert_eq!(rows[0].properties["name"], Value::from("泰达东社区"));
        assert_eq!(
            encoding.map(|n| n.to_string()).as_deref(),
            Some(
                "text read as GB18030 (no declared encoding, and the text is not UTF-8: taken \
                 as the GBK family Chinese Windows writes; declare encoding = \"...\" if it is \
                 another)"
            )
        );
        // UTF-8 with a byte order mark, as Excel writes it.
        let (rows, encoding) = read(
            "\u{feff}id,name,x,y\nc1,泰达东社区,1,2\n".as_bytes(),
            &TableColumns::default(),
        )
        .unwrap();
        assert_eq!(rows[0].properties["name"], Value::from("泰达东社区"));
        assert_eq!(rows[0].properties["id"], Value::from("c1"));
        assert_eq!(encoding, None);
    }

    #[test]
    fn wkt_and_named_columns() {
        let (rows, _) = read(
            b"id,geom\nc1,\"POLYGON((0 0,1 0,1 1,0 0))\"\n",
            &TableColumns {
                wkt: Some("geom".into()),
                ..TableColumns::default()
            },
        )
        .unwrap();
        assert!(matches!(rows[0].geometry, Some(Geometry::Polygon(_))));
        let (rows, _) = read(
            b"id,E,N\np,500000,4300000\n",
            &TableColumns {
                x: Some("E".into()),
                y: Some("N".into()),
                ..TableColumns::default()
            },
        )
        .unwrap();
        assert_eq!(
            rows[0].geometry,
            Some(Geometry::Point(Point::new(500000.0, 4300000.0)))
        );
    }

    #[test]
    fn bad_rows_name_their_row_and_column() {
        let err = read(
            b"id,lon,lat\na,117.2,39.1\nb,117.3,north\n",
            &TableColumns::default(),
        )
        .err()
        .unwrap()
        .to_string();
        assert_eq!(
            err,
            "t.csv: row 2 (line 3), column \"lat\": \"north\" is not a number"
        );
        let err = read(b"id,name\na,b\n", &TableColumns::default())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("no coordinate columns") && err.contains("id, name"),
            "{err}"
        );
        let err = read(
            b"id,lon,lat\na,1,2\n",
            &TableColumns {
                x: Some("east".into()),
                ..TableColumns::default()
            },
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("no column \"east\""), "{err}");
        let err = read(
            b"id,lon,lat\na,1,2\n",
            &TableColumns {
                encoding: Some("klingon".into()),
                ..TableColumns::default()
            },
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("\"klingon\" is not an encoding"), "{err}");
    }
}
