//! `results.gpkg`: every layer of a run in one GeoPackage, styled for QGIS.
//!
//! Written by hand with SQLite as a GeoPackage 1.3 file (the newest version GDAL 3.6, and so
//! the QGIS of Debian 12, reads without a warning): the required metadata tables, one feature
//! table per layer with an R*Tree spatial index and the triggers that keep it right when the
//! layer is edited in QGIS, and QGIS's `layer_styles` table holding each layer's default
//! style, so every layer opens styled.
//!
//! The file is the same byte for byte for the same analysis: no clock is read, every
//! timestamp is [`TIMESTAMP`].

use std::path::Path;

use geo::{Coord, Polygon, Winding};
use rusqlite::types::Value as Sql;
use rusqlite::{params, Connection};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::output::layers::{self, GeometryKind, LayerKind, OutputLayer, Shape};
use crate::output::project::Project;
use crate::output::rtree;
use crate::pipeline::Analysis;

/// `PRAGMA application_id` of a GeoPackage: "GPKG".
pub const APPLICATION_ID: i32 = 0x4750_4B47;

/// `PRAGMA user_version` of a GeoPackage 1.3.
pub const USER_VERSION: i32 = 10300;

/// The SRS of every layer: WGS 84 longitude/latitude.
pub const SRS_ID: i32 = 4326;

/// The `last_change` and `update_time` written: fixed, so the file depends on the analysis
/// alone and not on when it ran.
pub const TIMESTAMP: &str = "1970-01-01T00:00:00.000Z";

/// The geometry column of every feature table.
pub const GEOMETRY_COLUMN: &str = "geom";

/// The feature id column of every feature table.
pub const FID_COLUMN: &str = "fid";

const WGS84_WKT: &str = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,\
298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,\
AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],\
AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4326\"]]";

/// One row of QGIS's `layer_styles` table.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerStyle {
    /// The feature table it styles.
    pub table: String,
    /// Its name in QGIS's style list.
    pub name: String,
    /// The QML document.
    pub qml: String,
    /// Whether QGIS applies it when the layer is opened.
    pub default: bool,
    /// What it shows.
    pub description: String,
}

/// Writes `results.gpkg` at `path`: every layer of [`layers::kinds`] in that order, each
/// with its default style (the `.qml` written beside the GeoJSON) and, for communities, one
/// more style per further category.
pub fn write_gpkg(analysis: &Analysis, path: &Path) -> Result<()> {
    write_gpkg_with_project(analysis, path, None).map(|_| ())
}

/// Writes `results.gpkg` as [`write_gpkg`] does and, given the run's products, the run's
/// QGIS project into its `qgis_projects` table; returns the project, to be written beside
/// the GeoPackage as well.
pub fn write_gpkg_with_project(
    analysis: &Analysis,
    path: &Path,
    products: Option<&crate::input::config::Products>,
) -> Result<Option<Project>> {
    let mut gpkg = GpkgWriter::create(path)?;
    for kind in layers::kinds(analysis) {
        gpkg.add(analysis, &layers::build(analysis, kind))?;
    }
    gpkg.finish(analysis, products)
}

/// A GeoPackage written layer by layer: each layer's table, index and styles go in as the
/// layer is made, so a run holds one layer at a time; the styles' table and the QGIS
/// project go in when it is finished. Everything is one transaction: a GeoPackage left
/// unfinished holds nothing.
pub struct GpkgWriter {
    db: Connection,
    path: std::path::PathBuf,
    styles: Vec<LayerStyle>,
    /// The layers written, without their features (what the project asks of them).
    heads: Vec<OutputLayer<'static>>,
}

impl GpkgWriter {
    /// Starts a GeoPackage at `path`, replacing a file already there.
    pub fn create(path: &Path) -> Result<GpkgWriter> {
        if path.exists() {
            std::fs::remove_file(path).map_err(|source| Error::Write {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let db = Connection::open(path).map_err(|e| sqlite_error(path, e))?;
        db.execute_batch("BEGIN")
            .and_then(|()| write_header(&db))
            .map_err(|e| sqlite_error(path, e))?;
        Ok(GpkgWriter {
            db,
            path: path.to_path_buf(),
            styles: Vec::new(),
            heads: Vec::new(),
        })
    }

    /// Writes a layer and keeps its styles: its default style (the `.qml` written beside
    /// the GeoJSON) and, for communities, one more per further category.
    pub fn add(&mut self, analysis: &Analysis, layer: &OutputLayer<'_>) -> Result<()> {
        write_layer(&self.db, layer).map_err(|e| sqlite_error(&self.path, e))?;
        self.styles.push(LayerStyle {
            table: layer.name.clone(),
            name: layer.name.clone(),
            qml: crate::output::qml::layer_qml(analysis, layer),
            default: true,
            description: crate::output::qml::description(analysis, layer),
        });
        if layer.kind == LayerKind::Communities {
            for (c, cat) in analysis.categories.iter().enumerate().skip(1) {
                self.styles.push(LayerStyle {
                    table: layer.name.clone(),
                    name: format!("{} share", cat.summary.name),
                    qml: crate::output::qml::communities_qml(analysis, layer, c),
                    default: false,
                    description: crate::output::qml::share_description(analysis, c),
                });
            }
        }
        self.heads.push(layer.head());
        Ok(())
    }

    /// Writes the styles and, given the run's products, the run's QGIS project over the
    /// layers written; commits. Returns the project, to be written beside the GeoPackage.
    pub fn finish(
        self,
        analysis: &Analysis,
        products: Option<&crate::input::config::Products>,
    ) -> Result<Option<Project>> {
        let project = products
            .map(|products| crate::output::project::build(analysis, products, &self.heads))
            .transpose()?;
        let path = &self.path;
        write_styles(&self.db, &self.styles)
            .and_then(|()| match &project {
                Some(project) => write_project(&self.db, project),
                None => Ok(()),
            })
            .and_then(|()| self.db.execute_batch("COMMIT"))
            .map_err(|e| sqlite_error(path, e))?;
        self.db.close().map_err(|(_, e)| sqlite_error(path, e))?;
        Ok(project)
    }
}

fn sqlite_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::Product {
        path: path.to_path_buf(),
        message: format!("cannot write the GeoPackage: {e}"),
    }
}

/// Writes a GeoPackage holding `layers` (one feature table each, named after the layer),
/// `styles` and the QGIS `project` if given; replaces a file already at `path`.
pub fn write_layers(
    path: &Path,
    layers: &[OutputLayer<'_>],
    styles: &[LayerStyle],
    project: Option<&Project>,
) -> Result<()> {
    let gpkg = GpkgWriter::create(path)?;
    let db = &gpkg.db;
    layers
        .iter()
        .try_for_each(|layer| write_layer(db, layer))
        .and_then(|()| write_styles(db, styles))
        .and_then(|()| project.map_or(Ok(()), |p| write_project(db, p)))
        .and_then(|()| db.execute_batch("COMMIT"))
        .map_err(|e| sqlite_error(path, e))?;
    gpkg.db.close().map_err(|(_, e)| sqlite_error(path, e))
}

/// The GeoPackage's own tables and its spatial reference system.
fn write_header(tx: &Connection) -> rusqlite::Result<()> {
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID};\nPRAGMA user_version = {USER_VERSION};\n{CORE_TABLES}"
    ))?;
    tx.execute(
        "INSERT INTO gpkg_spatial_ref_sys \
         (srs_name, srs_id, organization, organization_coordsys_id, definition, description) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            "WGS 84 geodetic",
            SRS_ID,
            "EPSG",
            SRS_ID,
            WGS84_WKT,
            "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"
        ],
    )?;
    Ok(())
}

/// The tables every GeoPackage has (spec 1.3, Annex C), with its two undefined SRSs.
const CORE_TABLES: &str = "
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined Cartesian SRS', -1, 'NONE', -1, 'undefined',
   'undefined Cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined',
   'undefined geographic coordinate reference system');
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
CREATE TABLE gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);
";

/// An SQL identifier in double quotes.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The SQLite type of an attribute column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Whole numbers.
    Integer,
    /// Other numbers.
    Real,
    /// Text, and values of mixed kinds (written as text, JSON for lists and objects).
    Text,
    /// True or false, stored as 1 or 0.
    Boolean,
}

impl ColumnType {
    fn sql(self) -> &'static str {
        match self {
            ColumnType::Integer => "INTEGER",
            ColumnType::Real => "REAL",
            ColumnType::Text => "TEXT",
            ColumnType::Boolean => "BOOLEAN",
        }
    }

    /// The type of one non-null value.
    fn of(v: &Value) -> Option<ColumnType> {
        match v {
            Value::Null => None,
            Value::Bool(_) => Some(ColumnType::Boolean),
            Value::Number(n) if n.is_i64() => Some(ColumnType::Integer),
            Value::Number(_) => Some(ColumnType::Real),
            _ => Some(ColumnType::Text),
        }
    }

    /// The type holding values of both types.
    fn join(self, other: ColumnType) -> ColumnType {
        use ColumnType::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Integer, Real) | (Real, Integer) => Real,
            _ => Text,
        }
    }
}

/// An attribute column of a feature table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The property it holds.
    pub property: String,
    /// Its name in the table: the property's, with `_2`, `_3`, ... added where it would
    /// clash (SQLite names ignore case) with `fid`, `geom` or an earlier column.
    pub name: String,
    /// Its type, inferred from every feature's value; text when all are null.
    pub ty: ColumnType,
}

/// The attribute columns of a layer: every property of any feature, in the order they
/// first appear.
pub fn columns(layer: &OutputLayer<'_>) -> Vec<Column> {
    let mut out: Vec<(String, Option<ColumnType>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for f in &layer.features {
        for (key, value) in &f.properties {
            let i = *index.entry(key.clone()).or_insert_with(|| {
                out.push((key.clone(), None));
                out.len() - 1
            });
            if let Some(ty) = ColumnType::of(value) {
                let slot = &mut out[i].1;
                *slot = Some(slot.map_or(ty, |t| t.join(ty)));
            }
        }
    }
    let mut taken: Vec<String> = vec![FID_COLUMN.into(), GEOMETRY_COLUMN.into()];
    out.into_iter()
        .map(|(property, ty)| {
            let mut name = property.clone();
            let mut n = 1;
            while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
                n += 1;
                name = format!("{property}_{n}");
            }
            taken.push(name.clone());
            Column {
                property,
                name,
                ty: ty.unwrap_or(ColumnType::Text),
            }
        })
        .collect()
}

/// A property value as the column stores it.
fn sql_value(v: Option<&Value>, ty: ColumnType) -> Sql {
    match (v, ty) {
        (None | Some(Value::Null), _) => Sql::Null,
        (Some(Value::Bool(b)), ColumnType::Boolean) => Sql::Integer(i64::from(*b)),
        (Some(Value::Number(n)), ColumnType::Integer) => {
            n.as_i64().map(Sql::Integer).unwrap_or(Sql::Null)
        }
        (Some(Value::Number(n)), ColumnType::Real) => {
            n.as_f64().map(Sql::Real).unwrap_or(Sql::Null)
        }
        (Some(Value::String(s)), _) => Sql::Text(s.clone()),
        (Some(other), _) => Sql::Text(other.to_string()),
    }
}

/// The geometry type a feature table declares: points, multipoints (some feature has
/// several points), multipolygons, or any geometry when a layer mixes areas and points.
pub fn geometry_type(layer: &OutputLayer<'_>) -> &'static str {
    let kinds = layer.shape_kinds();
    let (areas, points, multi) = (kinds.areas, kinds.points, kinds.multi);
    match (areas, points || multi, multi) {
        (true, true, _) => "GEOMETRY",
        (true, false, _) => "MULTIPOLYGON",
        (false, true, true) => "MULTIPOINT",
        (false, true, false) => "POINT",
        (false, false, _) => match layer.geometry {
            GeometryKind::Polygon => "MULTIPOLYGON",
            GeometryKind::Point => "POINT",
        },
    }
}

fn write_layer(tx: &Connection, layer: &OutputLayer<'_>) -> rusqlite::Result<()> {
    let table = &layer.name;
    let columns = columns(layer);
    let geometry = geometry_type(layer);
    let mut ddl = format!(
        "CREATE TABLE {} (\n  {} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  {} {geometry}",
        ident(table),
        ident(FID_COLUMN),
        ident(GEOMETRY_COLUMN)
    );
    for c in &columns {
        ddl.push_str(&format!(",\n  {} {}", ident(&c.name), c.ty.sql()));
    }
    ddl.push_str("\n)");
    tx.execute_batch(&ddl)?;

    let index = format!("rtree_{table}_{GEOMETRY_COLUMN}");
    tx.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {} USING rtree(id, minx, maxx, miny, maxy)",
        ident(&index)
    ))?;
    let mut insert = {
        let names: Vec<String> = [FID_COLUMN, GEOMETRY_COLUMN]
            .iter()
            .map(|n| ident(n))
            .chain(columns.iter().map(|c| ident(&c.name)))
            .collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        tx.prepare(&format!(
            "INSERT INTO {} ({}) VALUES ({})",
            ident(table),
            names.join(", "),
            marks.join(", ")
        ))?
    };
    let mut boxes = Vec::with_capacity(layer.features.len());
    let mut extent: Option<Envelope> = None;
    for (i, f) in layer.features.iter().enumerate() {
        let fid = i as i64 + 1;
        let geom = Geometry::of(&f.shape, geometry);
        let (blob, envelope) = geom.blob(SRS_ID);
        let mut values: Vec<Sql> = Vec::with_capacity(columns.len() + 2);
        values.push(Sql::Integer(fid));
        values.push(Sql::Blob(blob));
        values.extend(
            columns
                .iter()
                .map(|c| sql_value(f.properties.get(&c.property), c.ty)),
        );
        insert.execute(rusqlite::params_from_iter(values))?;
        if let Some(e) = envelope {
            boxes.push(rtree::Entry {
                id: fid,
                bounds: [e.min_x, e.max_x, e.min_y, e.max_y],
            });
            extent = Some(extent.map_or(e, |x| x.union(e)));
        }
    }
    drop(insert);
    rtree::write_packed(tx, &index, boxes)?;
    tx.execute_batch(&rtree_triggers(table))?;

    tx.execute(
        "INSERT INTO gpkg_contents \
         (table_name, data_type, identifier, description, last_change, \
          min_x, min_y, max_x, max_y, srs_id) \
         VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            table,
            "",
            TIMESTAMP,
            extent.map(|e| e.min_x),
            extent.map(|e| e.min_y),
            extent.map(|e| e.max_x),
            extent.map(|e| e.max_y),
            SRS_ID
        ],
    )?;
    tx.execute(
        "INSERT INTO gpkg_geometry_columns \
         (table_name, column_name, geometry_type_name, srs_id, z, m) \
         VALUES (?1, ?2, ?3, ?4, 0, 0)",
        params![table, GEOMETRY_COLUMN, geometry, SRS_ID],
    )?;
    tx.execute(
        "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) \
         VALUES (?1, ?2, 'gpkg_rtree_index', 'http://www.geopackage.org/spec130/#extension_rtree', \
         'write-only')",
        params![table, GEOMETRY_COLUMN],
    )?;
    Ok(())
}

/// The triggers of the `gpkg_rtree_index` extension (GeoPackage 1.3, Annex F.3) that keep
/// `rtree_<table>_geom` in step with the table when it is edited. They call `ST_IsEmpty`,
/// `ST_MinX` and the like, which GDAL and QGIS provide; the index is filled here, packed ([`rtree`]).
fn rtree_triggers(table: &str) -> String {
    let t = ident(table);
    let r = ident(&format!("rtree_{table}_{GEOMETRY_COLUMN}"));
    let c = ident(GEOMETRY_COLUMN);
    let i = ident(FID_COLUMN);
    let name = |suffix: &str| ident(&format!("rtree_{table}_{GEOMETRY_COLUMN}_{suffix}"));
    let values =
        format!("NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})");
    let non_empty = format!("(NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))");
    let empty = format!("(NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))");
    [
        // A feature with a geometry is added: index it.
        format!(
            "CREATE TRIGGER {} AFTER INSERT ON {t} WHEN (NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c})) \
             BEGIN INSERT OR REPLACE INTO {r} VALUES ({values}); END;",
            name("insert")
        ),
        // Its geometry changes, same fid: index the new geometry.
        format!(
            "CREATE TRIGGER {} AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND {non_empty} \
             BEGIN INSERT OR REPLACE INTO {r} VALUES ({values}); END;",
            name("update1")
        ),
        // Its geometry is removed, same fid: drop it from the index.
        format!(
            "CREATE TRIGGER {} AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND {empty} \
             BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END;",
            name("update2")
        ),
        // Its fid changes and it has a geometry: move the entry.
        format!(
            "CREATE TRIGGER {} AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND {non_empty} \
             BEGIN DELETE FROM {r} WHERE id = OLD.{i}; INSERT OR REPLACE INTO {r} VALUES ({values}); END;",
            name("update3")
        ),
        // Its fid changes and it has no geometry: drop both entries.
        format!(
            "CREATE TRIGGER {} AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND {empty} \
             BEGIN DELETE FROM {r} WHERE id IN (OLD.{i}, NEW.{i}); END;",
            name("update4")
        ),
        // It is deleted.
        format!(
            "CREATE TRIGGER {} AFTER DELETE ON {t} WHEN OLD.{c} NOT NULL \
             BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END;",
            name("delete")
        ),
    ]
    .join("\n")
}

/// QGIS's table of projects stored in a GeoPackage (QGIS 3.8 and later): the project as a
/// `.qgz` archive written as hexadecimal text, as QGIS writes it.
fn write_project(tx: &Connection, project: &Project) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE qgis_projects (name TEXT PRIMARY KEY, metadata BLOB, content BLOB);",
    )?;
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let qgz = project.qgz();
    let mut hex = String::with_capacity(2 * qgz.len());
    for b in qgz {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    let metadata = format!(
        "{{\"last_modified_time\": \"{}\", \"last_modified_user\": \"lifecircle\" }}",
        TIMESTAMP.trim_end_matches(".000Z")
    );
    tx.execute(
        "INSERT INTO qgis_projects (name, metadata, content) VALUES (?1, ?2, ?3)",
        params![project.name, metadata, hex],
    )?;
    Ok(())
}

/// QGIS's `layer_styles` table, as QGIS creates it in a GeoPackage, with `styles`.
fn write_styles(tx: &Connection, styles: &[LayerStyle]) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE \"layer_styles\" (
  \"id\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  \"f_table_catalog\" TEXT(256),
  \"f_table_schema\" TEXT(256),
  \"f_table_name\" TEXT(256),
  \"f_geometry_column\" TEXT(256),
  \"styleName\" TEXT(30),
  \"styleQML\" TEXT,
  \"styleSLD\" TEXT,
  \"useAsDefault\" BOOLEAN,
  \"description\" TEXT,
  \"owner\" TEXT(30),
  \"ui\" TEXT(30),
  \"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)",
    )?;
    tx.execute(
        "INSERT INTO gpkg_contents \
         (table_name, data_type, identifier, description, last_change, srs_id) \
         VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles of the layers', ?1, 0)",
        params![TIMESTAMP],
    )?;
    let mut insert = tx.prepare(
        "INSERT INTO layer_styles (id, f_table_catalog, f_table_schema, f_table_name, \
         f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, \
         update_time) VALUES (?1, '', '', ?2, ?3, ?4, ?5, '', ?6, ?7, '', NULL, ?8)",
    )?;
    for (i, s) in styles.iter().enumerate() {
        insert.execute(params![
            i as i64 + 1,
            s.table,
            GEOMETRY_COLUMN,
            s.name,
            s.qml,
            s.default,
            s.description,
            TIMESTAMP
        ])?;
    }
    Ok(())
}

/// A bounding box, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Envelope {
    /// West.
    pub min_x: f64,
    /// East.
    pub max_x: f64,
    /// South.
    pub min_y: f64,
    /// North.
    pub max_y: f64,
}

impl Envelope {
    fn of(coords: impl Iterator<Item = Coord<f64>>) -> Option<Envelope> {
        coords.fold(None, |acc, c| {
            let e = Envelope {
                min_x: c.x,
                max_x: c.x,
                min_y: c.y,
                max_y: c.y,
            };
            Some(acc.map_or(e, |a: Envelope| a.union(e)))
        })
    }

    fn union(self, o: Envelope) -> Envelope {
        Envelope {
            min_x: self.min_x.min(o.min_x),
            max_x: self.max_x.max(o.max_x),
            min_y: self.min_y.min(o.min_y),
            max_y: self.max_y.max(o.max_y),
        }
    }
}

/// A feature's geometry as the table declares it.
#[derive(Debug, Clone)]
enum Geometry<'a> {
    Point(Coord<f64>),
    MultiPoint(Vec<Coord<f64>>),
    MultiPolygon(&'a [Polygon<f64>]),
}

impl<'a> Geometry<'a> {
    /// The shape in the table's type: single points become multipoints in a MULTIPOINT
    /// table.
    fn of(shape: &'a Shape<'_>, table_type: &str) -> Geometry<'a> {
        match shape {
            Shape::Area(mp) => Geometry::MultiPolygon(mp),
            Shape::Point(c) if table_type == "MULTIPOINT" => Geometry::MultiPoint(vec![*c]),
            Shape::Point(c) => Geometry::Point(*c),
            Shape::Points(cs) => Geometry::MultiPoint(cs.to_vec()),
        }
    }

    fn envelope(&self) -> Option<Envelope> {
        match self {
            Geometry::Point(c) => Envelope::of(std::iter::once(*c)),
            Geometry::MultiPoint(cs) => Envelope::of(cs.iter().copied()),
            Geometry::MultiPolygon(mp) => {
                Envelope::of(mp.iter().flat_map(|p| p.exterior().0.iter().copied()))
            }
        }
    }

    /// The GeoPackage geometry blob and its envelope (`None` when empty).
    fn blob(&self, srs_id: i32) -> (Vec<u8>, Option<Envelope>) {
        let envelope = self.envelope();
        let mut out = gp_header(srs_id, envelope);
        match self {
            Geometry::Point(c) => wkb_point(&mut out, *c),
            Geometry::MultiPoint(cs) => wkb_multipoint(&mut out, cs),
            Geometry::MultiPolygon(mp) => wkb_multipolygon(&mut out, mp),
        }
        (out, envelope)
    }
}

/// The GeoPackage binary header (spec 1.3, clause 2.1.3): magic `GP`, version 0, flags
/// (little-endian, an `[minx, maxx, miny, maxy]` envelope, or none and the empty bit for an
/// empty geometry), the SRS id and the envelope.
pub fn gp_header(srs_id: i32, envelope: Option<Envelope>) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    out.extend_from_slice(b"GP");
    out.push(0);
    match envelope {
        Some(e) => {
            out.push(0b0000_0011);
            out.extend_from_slice(&srs_id.to_le_bytes());
            for v in [e.min_x, e.max_x, e.min_y, e.max_y] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        None => {
            out.push(0b0001_0001);
            out.extend_from_slice(&srs_id.to_le_bytes());
        }
    }
    out
}

fn wkb_head(out: &mut Vec<u8>, geometry_type: u32) {
    out.push(1); // little-endian
    out.extend_from_slice(&geometry_type.to_le_bytes());
}

fn wkb_count(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn wkb_xy(out: &mut Vec<u8>, c: Coord<f64>) {
    out.extend_from_slice(&c.x.to_le_bytes());
    out.extend_from_slice(&c.y.to_le_bytes());
}

/// A little-endian WKB Point.
pub fn wkb_point(out: &mut Vec<u8>, c: Coord<f64>) {
    wkb_head(out, 1);
    wkb_xy(out, c);
}

/// A little-endian WKB MultiPoint.
pub fn wkb_multipoint(out: &mut Vec<u8>, cs: &[Coord<f64>]) {
    wkb_head(out, 4);
    wkb_count(out, cs.len());
    for c in cs {
        wkb_point(out, *c);
    }
}

/// A little-endian WKB MultiPolygon, exterior rings counter-clockwise and holes clockwise
/// (as the GeoJSON layers).
pub fn wkb_multipolygon(out: &mut Vec<u8>, polys: &[Polygon<f64>]) {
    wkb_head(out, 6);
    wkb_count(out, polys.len());
    for p in polys {
        wkb_head(out, 3);
        wkb_count(out, 1 + p.interiors().len());
        wkb_count(out, p.exterior().0.len());
        for c in p.exterior().points_ccw() {
            wkb_xy(out, c.0);
        }
        for ring in p.interiors() {
            wkb_count(out, ring.0.len());
            for c in ring.points_cw() {
                wkb_xy(out, c.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(hex: &str) -> Vec<u8> {
        let hex: String = hex.split_whitespace().collect();
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn a_point_is_little_endian_wkb() {
        // 1.0 = 0x3FF0000000000000, 2.0 = 0x4000000000000000, stored low byte first.
        let mut out = Vec::new();
        wkb_point(&mut out, Coord { x: 1.0, y: 2.0 });
        assert_eq!(out, bytes("01 01000000 000000000000F03F 0000000000000040"));
    }

    #[test]
    fn the_header_holds_srs_and_envelope() {
        let e = Envelope {
            min_x: 1.0,
            max_x: 2.0,
            min_y: -1.0,
            max_y: 0.5,
        };
        // 4326 = 0x10E6; -1.0 = 0xBFF0..., 0.5 = 0x3FE0...
        assert_eq!(
            gp_header(4326, Some(e)),
            bytes(
                "47 50 00 03 E6100000
                 000000000000F03F 0000000000000040 000000000000F0BF 000000000000E03F"
            )
        );
        // Empty: no envelope, the empty bit (0x10) with little-endian (0x01).
        assert_eq!(gp_header(4326, None), bytes("47 50 00 11 E6100000"));
    }

    #[test]
    fn a_square_is_one_counter_clockwise_polygon() {
        // Given clockwise: written counter-clockwise, (0 0, 1 0, 1 1, 0 1, 0 0).
        let mp = geo::MultiPolygon(vec![geo::wkt!(POLYGON((0. 0.,0. 1.,1. 1.,1. 0.,0. 0.)))]);
        let mut out = Vec::new();
        wkb_multipolygon(&mut out, &mp.0);
        let zero = "0000000000000000";
        let one = "000000000000F03F";
        let expected = format!(
            "01 06000000 01000000  01 03000000 01000000 05000000
             {zero}{zero} {one}{zero} {one}{one} {zero}{one} {zero}{zero}"
        );
        assert_eq!(out, bytes(&expected));
    }

    #[test]
    fn a_multipoint_holds_whole_points() {
        let mut out = Vec::new();
        wkb_multipoint(
            &mut out,
            &[Coord { x: 1.0, y: 2.0 }, Coord { x: 2.0, y: 1.0 }],
        );
        assert_eq!(
            out,
            bytes(
                "01 04000000 02000000
                 01 01000000 000000000000F03F 0000000000000040
                 01 01000000 0000000000000040 000000000000F03F"
            )
        );
        let g = Geometry::MultiPoint(vec![Coord { x: 1.0, y: 2.0 }, Coord { x: 2.0, y: 1.0 }]);
        let (blob, envelope) = g.blob(4326);
        assert_eq!(
            envelope,
            Some(Envelope {
                min_x: 1.0,
                max_x: 2.0,
                min_y: 1.0,
                max_y: 2.0
            })
        );
        assert_eq!(&blob[..8], &bytes("47 50 00 03 E6100000")[..]);
        assert_eq!(blob.len(), 8 + 32 + out.len());
    }

    #[test]
    fn an_empty_area_has_no_envelope() {
        let (blob, envelope) = Geometry::MultiPolygon(&[]).blob(4326);
        assert_eq!(envelope, None);
        assert_eq!(blob, bytes("47 50 00 11 E6100000 01 06000000 00000000"));
    }

    #[test]
    fn column_types_follow_the_values() {
        use crate::output::layers::Feature;
        use serde_json::json;
        let feature = |props: Value| Feature {
            id: None,
            properties: props.as_object().unwrap().clone(),
            shape: Shape::Point(Coord { x: 0.0, y: 0.0 }),
        };
        let layer = OutputLayer {
            name: "t".into(),
            kind: LayerKind::Facilities,
            geometry: GeometryKind::Point,
            features: vec![
                feature(json!({"n": 1, "x": 1, "b": true, "s": "a", "FID": 3, "none": null})),
                feature(json!({"n": 2, "x": 1.5, "b": false, "s": 2, "fid_2": 1, "late": [1]})),
            ],
            kept: None,
        };
        let got: Vec<(String, String, ColumnType)> = columns(&layer)
            .into_iter()
            .map(|c| (c.property, c.name, c.ty))
            .collect();
        let want = |p: &str, n: &str, t| (p.to_string(), n.to_string(), t);
        assert_eq!(
            got,
            vec![
                want("n", "n", ColumnType::Integer),
                want("x", "x", ColumnType::Real),
                want("b", "b", ColumnType::Boolean),
                want("s", "s", ColumnType::Text),
                want("FID", "FID_2", ColumnType::Integer),
                want("none", "none", ColumnType::Text),
                want("fid_2", "fid_2_2", ColumnType::Integer),
                want("late", "late", ColumnType::Text),
            ]
        );
        assert_eq!(
            sql_value(Some(&json!(true)), ColumnType::Boolean),
            Sql::Integer(1)
        );
        assert_eq!(
            sql_value(Some(&json!(2)), ColumnType::Text),
            Sql::Text("2".into())
        );
        assert_eq!(sql_value(None, ColumnType::Real), Sql::Null);
        assert_eq!(geometry_type(&layer), "POINT");
    }
}
