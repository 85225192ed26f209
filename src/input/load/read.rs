//! Streaming GeoJSON reading: features are parsed one at a time while the file is read, so
//! memory holds the parsed geometry and properties, never the whole text or a JSON tree of
//! it. A FeatureCollection is expected; a single Feature or a bare Geometry is taken as a
//! layer of one feature.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{id_text, CrsSource};
use crate::error::{Error, FeatureProblem, Result};
use crate::input::crs::Crs;
use crate::warning::Defect;

/// A feature after parsing, before the layer-specific reading.
pub(crate) struct Parsed {
    pub index: usize,
    pub feature_id: Option<Value>,
    pub properties: Map<String, Value>,
    pub geometry: Option<geo::Geometry<f64>>,
    /// What the text had that the conversion to geo silently mends: 3D positions, unclosed
    /// rings. Reported, so the user hears of it.
    pub defects: Vec<Defect>,
}

#[derive(Deserialize)]
struct RawFeature {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<Value>,
    properties: Option<Value>,
    geometry: Option<Box<RawValue>>,
}

/// The members of the top-level object that matter; features are consumed as they come.
#[derive(Default)]
struct Document {
    kind: Option<String>,
    crs: Option<Value>,
    has_features: bool,
    id: Option<Value>,
    properties: Option<Value>,
    geometry: Option<Box<RawValue>>,
    coordinates: Option<Box<RawValue>>,
    geometries: Option<Box<RawValue>>,
}

/// Features whose geometries are parsed together, in parallel.
const FEATURES_PER_BATCH: usize = 1024;

/// Receives each feature as soon as it is parsed.
pub(crate) type Sink<'s> = dyn FnMut(Parsed) -> Result<()> + 's;

/// What the streaming visitors share: where features go, and the first error that is ours
/// rather than the JSON parser's.
struct Context<'a, 's> {
    path: &'a Path,
    id_field: &'a str,
    sink: &'a mut Sink<'s>,
    /// Features passed to the sink so far.
    count: usize,
    /// The feature being read, for parser errors inside it.
    current: Option<usize>,
    failure: Option<Error>,
}

/// Files up to this size are read whole before parsing; larger ones are streamed.
const SLURP_BYTES: u64 = 64 << 20;

/// The top-level object, its features handed to the context's sink as they come, and the
/// end of the input checked.
fn parse_document<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    context: &mut Context<'_, '_>,
) -> serde_json::Result<Document> {
    DocumentSeed(context)
        .deserialize(&mut *de)
        .and_then(|doc| de.end().map(|()| doc))
}

/// Reads GeoJSON from `reader`, passing each feature to `sink` as it is parsed; returns
/// the CRS its coordinates are in. `path` names the source in messages. A file under
/// 64 MiB is read whole first (serde_json scans a slice about twice as fast as a reader);
/// a larger one is streamed, so memory follows the parsed features, not the text.
pub(crate) fn read_features_from<R: Read>(
    path: &Path,
    reader: BufReader<R>,
    declared: Option<&Crs>,
    id_field: &str,
    sink: &mut Sink<'_>,
) -> Result<(Crs, CrsSource)> {
    read_features_with(path, reader, (declared, id_field), sink, SLURP_BYTES)
}

/// [`read_features_from`], reading files up to `slurp_bytes` whole.
fn read_features_with<R: Read>(
    path: &Path,
    mut reader: BufReader<R>,
    (declared, id_field): (Option<&Crs>, &str),
    sink: &mut Sink<'_>,
    slurp_bytes: u64,
) -> Result<(Crs, CrsSource)> {
    let not_geojson = |message: String| Error::NotGeoJson {
        path: path.to_path_buf(),
        message,
    };
    // A UTF-8 byte order mark, as some Windows tools write, is skipped.
    let head = reader.fill_buf().map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let bom = head.starts_with(b"\xEF\xBB\xBF");
    let blank_start = head[if bom { 3 } else { 0 }..]
        .iter()
        .all(u8::is_ascii_whitespace);
    if bom {
        reader.consume(3);
    }

    let mut context = Context {
        path,
        id_field,
        sink,
        count: 0,
        current: None,
        failure: None,
    };
    // A file shorter than `slurp_bytes` is parsed from memory; a longer one is streamed,
    // its first part from memory.
    let mut head = Vec::new();
    (&mut reader)
        .take(slurp_bytes)
        .read_to_end(&mut head)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let parsed = if (head.len() as u64) < slurp_bytes {
        parse_document(
            &mut serde_json::Deserializer::from_slice(&head),
            &mut context,
        )
    } else {
        let rest = std::io::Cursor::new(head).chain(reader);
        parse_document(
            &mut serde_json::Deserializer::from_reader(rest),
            &mut context,
        )
    };
    if let Some(e) = context.failure.take() {
        return Err(e);
    }
    let doc = parsed.map_err(|e| {
        let message = strip_position(&e.to_string());
        if e.is_eof() && blank_start {
            not_geojson("the file is empty, expected a GeoJSON FeatureCollection".into())
        } else if e.is_data() {
            let at = match context.current {
                Some(i) => format!("feature {i} "),
                None => String::new(),
            };
            not_geojson(format!(
                "{at}is not GeoJSON (line {}, column {}): {}",
                e.line(),
                e.column(),
                message.replace("struct RawFeature", "a Feature object")
            ))
        } else {
            Error::Json {
                path: path.to_path_buf(),
                line: e.line(),
                column: e.column(),
                message,
            }
        }
    })?;

    let (crs, source) = match declared {
        Some(c) => (c.clone(), CrsSource::Declared),
        None => match doc.crs.as_ref().and_then(Crs::from_geojson_member) {
            Some(c) => (c?, CrsSource::File),
            None => (Crs::Wgs84, CrsSource::Default),
        },
    };

    match doc.kind.as_deref() {
        Some("FeatureCollection") if doc.has_features => {}
        Some("FeatureCollection") => {
            return Err(not_geojson(
                "the FeatureCollection has no \"features\" array".into(),
            ))
        }
        Some("Feature") => {
            let single = RawFeature {
                kind: Some("Feature".into()),
                id: doc.id,
                properties: doc.properties,
                geometry: doc.geometry,
            };
            let parsed = parse_feature(context.path, context.id_field, 0, single)?;
            (context.sink)(parsed)?;
        }
        Some(
            kind @ ("Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon"
            | "MultiPolygon" | "GeometryCollection"),
        ) => {
            // A bare geometry: one feature with no properties.
            let (member, raw) = match (doc.coordinates, doc.geometries) {
                (Some(c), _) => ("coordinates", c),
                (None, Some(g)) => ("geometries", g),
                (None, None) => {
                    return Err(not_geojson(format!(
                        "a bare {kind} geometry with no coordinates"
                    )))
                }
            };
            let text = format!("{{\"type\":\"{kind}\",\"{member}\":{}}}", raw.get());
            let geometry = RawValue::from_string(text).map_err(|e| not_geojson(e.to_string()))?;
            let single = RawFeature {
                kind: Some("Feature".into()),
                id: None,
                properties: None,
                geometry: Some(geometry),
            };
            let parsed = parse_feature(context.path, context.id_field, 0, single)?;
            (context.sink)(parsed)?;
        }
        Some(other) => {
            return Err(not_geojson(format!(
                "GeoJSON type is \"{other}\", expected a FeatureCollection"
            )))
        }
        None => {
            return Err(not_geojson(
                "no \"type\" member: not GeoJSON, expected a FeatureCollection".into(),
            ))
        }
    }
    Ok((crs, source))
}

/// Turns one raw feature into a parsed one, or an error naming it.
fn parse_feature(path: &Path, id_field: &str, index: usize, raw: RawFeature) -> Result<Parsed> {
    // The id for messages: the id field if readable, else the feature id.
    let id = match &raw.properties {
        Some(Value::Object(map)) => map.get(id_field).and_then(id_text),
        _ => None,
    }
    .or_else(|| raw.id.as_ref().and_then(id_text));
    let fail = |problem: FeatureProblem| Error::Feature {
        path: path.to_path_buf(),
        index,
        id: id.clone(),
        problem,
    };
    if raw.kind.as_deref() != Some("Feature") {
        return Err(Error::NotGeoJson {
            path: path.to_path_buf(),
            message: format!(
                "feature {index} has type {}, expected \"Feature\"",
                raw.kind
                    .map(|k| format!("\"{k}\""))
                    .unwrap_or_else(|| "missing".into())
            ),
        });
    }
    let properties = match raw.properties {
        Some(Value::Object(map)) => map,
        None | Some(Value::Null) => Map::new(),
        Some(other) => return Err(fail(FeatureProblem::BadProperties(other.to_string()))),
    };
    let mut defects = Vec::new();
    let geometry = match raw.geometry {
        None => None,
        Some(rv) if rv.get() == "null" => None,
        Some(rv) => {
            let g: geojson::Geometry = serde_json::from_str(rv.get())
                .map_err(|e| fail(FeatureProblem::BadGeometry(strip_position(&e.to_string()))))?;
            check_text(&g.value, &mut defects).map_err(fail)?;
            let g = geo::Geometry::<f64>::try_from(&g)
                .map_err(|e| fail(FeatureProblem::BadGeometry(e.to_string())))?;
            Some(g)
        }
    };
    Ok(Parsed {
        index,
        feature_id: raw.id,
        properties,
        geometry,
        defects,
    })
}

/// Calls `f` on every position of a geometry, collections included.
fn for_each_position(value: &geojson::GeometryValue, f: &mut dyn FnMut(&geojson::Position)) {
    use geojson::GeometryValue as G;
    match value {
        G::Point { coordinates } => f(coordinates),
        G::MultiPoint { coordinates } | G::LineString { coordinates } => {
            coordinates.iter().for_each(f)
        }
        G::MultiLineString { coordinates } | G::Polygon { coordinates } => {
            coordinates.iter().flatten().for_each(f)
        }
        G::MultiPolygon { coordinates } => coordinates.iter().flatten().flatten().for_each(f),
        G::GeometryCollection { geometries } => {
            for g in geometries {
                for_each_position(&g.value, f);
            }
        }
    }
}

/// Checks positions (at least two numbers each: geojson's conversion to geo would panic on
/// fewer) and notes 3D positions and unclosed rings, which the conversion mends silently.
fn check_text(
    value: &geojson::GeometryValue,
    defects: &mut Vec<Defect>,
) -> std::result::Result<(), FeatureProblem> {
    use geojson::GeometryValue as G;
    let (mut short, mut three_d) = (None, false);
    for_each_position(value, &mut |p| {
        if p.len() < 2 {
            short.get_or_insert(p.len());
        }
        three_d |= p.len() > 2;
    });
    if let Some(n) = short {
        return Err(FeatureProblem::BadGeometry(format!(
            "a position has {n} number(s), expected at least 2 (x and y)"
        )));
    }
    if three_d {
        defects.push(Defect::ThreeD);
    }
    let rings: Vec<&Vec<geojson::Position>> = match value {
        G::Polygon { coordinates } => coordinates.iter().collect(),
        G::MultiPolygon { coordinates } => coordinates.iter().flatten().collect(),
        _ => Vec::new(),
    };
    if rings
        .iter()
        .any(|r| r.len() > 1 && r.first().map(|p| p.as_slice()) != r.last().map(|p| p.as_slice()))
    {
        defects.push(Defect::Unclosed);
    }
    Ok(())
}

/// serde_json appends " at line L column C"; our messages give the position once.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

struct DocumentSeed<'c, 'a, 's>(&'c mut Context<'a, 's>);

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_, '_> {
    type Value = Document;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Document, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_, '_, '_> {
    type Value = Document;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON object (a FeatureCollection)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Document, A::Error> {
        let mut doc = Document::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => doc.kind = Some(map.next_value()?),
                "crs" => doc.crs = map.next_value()?,
                "features" => {
                    map.next_value_seed(FeaturesSeed(&mut *self.0))?;
                    doc.has_features = true;
                }
                "id" => doc.id = map.next_value()?,
                "properties" => doc.properties = map.next_value()?,
                "geometry" => doc.geometry = map.next_value()?,
                "coordinates" => doc.coordinates = Some(map.next_value()?),
                "geometries" => doc.geometries = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(doc)
    }
}

/// Parses a batch of features in parallel and passes them to the sink in order; the first
/// error is kept in the context.
fn take_batch<E: de::Error>(
    context: &mut Context<'_, '_>,
    batch: &mut Vec<RawFeature>,
) -> std::result::Result<(), E> {
    let first = context.count;
    let (path, id_field) = (context.path, context.id_field);
    let parsed: Vec<Result<Parsed>> = std::mem::take(batch)
        .into_par_iter()
        .enumerate()
        .map(|(i, raw)| parse_feature(path, id_field, first + i, raw))
        .collect();
    for p in parsed {
        if let Err(e) = p.and_then(|parsed| (context.sink)(parsed)) {
            context.failure = Some(e);
            return Err(E::custom("feature rejected"));
        }
        context.count += 1;
    }
    Ok(())
}

struct FeaturesSeed<'c, 'a, 's>(&'c mut Context<'a, 's>);

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of GeoJSON Features")
    }

    /// Features are read from the text one by one; their geometries are parsed in
    /// parallel, a batch at a time, and passed to the sink in file order, so the first
    /// error is the first in the file.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let context = self.0;
        let mut batch: Vec<RawFeature> = Vec::with_capacity(FEATURES_PER_BATCH);
        loop {
            context.current = Some(context.count + batch.len());
            let next = match seq.next_element::<RawFeature>() {
                Ok(next) => next,
                Err(e) => {
                    // The features before the broken text come first.
                    let current = context.current;
                    take_batch(context, &mut batch)?;
                    context.current = current;
                    return Err(e);
                }
            };
            let end = next.is_none();
            if let Some(raw) = next {
                batch.push(raw);
            }
            if batch.len() == FEATURES_PER_BATCH || end {
                take_batch(context, &mut batch)?;
            }
            if end {
                break;
            }
        }
        context.current = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Parsed>> {
        read_slurping(text, SLURP_BYTES)
    }

    /// Reads `text`, whole if it is shorter than `slurp_bytes`, else as a stream.
    fn read_slurping(text: &str, slurp_bytes: u64) -> Result<Vec<Parsed>> {
        let reader = BufReader::new(text.as_bytes());
        let mut features = Vec::new();
        let mut keep = |p| {
            features.push(p);
            Ok(())
        };
        let path = Path::new("t.geojson");
        read_features_with(path, reader, (None, "id"), &mut keep, slurp_bytes)?;
        Ok(features)
    }

    /// A file read whole and one streamed (its first bytes from memory, the rest from the
    /// reader) give the same features, and the same errors at the same line and column.
    #[test]
    fn a_file_read_whole_and_one_streamed_agree() {
        let good = format!(
            r#"{{"type":"FeatureCollection","features":[
               {{"type":"Feature","properties":{{"id":"a","n":1}},"geometry":{SQUARE}}},
               {{"type":"Feature","properties":{{"id":"b"}},"geometry":{SQUARE}}}]}}"#
        );
        let broken = [
            format!("{{\"type\":\"FeatureCollection\",\"features\":[\n{{\"type\":\"Feature\",\"geometry\":{SQUARE}}},\n{{\"type\":]}}"),
            "{\"type\":\"FeatureCollection\",\"features\":[]} trailing".to_string(),
            "   ".to_string(),
            r#"{"type":"FeatureCollection"}"#.to_string(),
        ];
        let whole = read_slurping(&good, SLURP_BYTES).unwrap();
        for slurp in [0, 1, 17, good.len() as u64 - 1] {
            let streamed = read_slurping(&good, slurp).unwrap();
            assert_eq!(streamed.len(), whole.len());
            for (a, b) in streamed.iter().zip(&whole) {
                assert_eq!(a.properties, b.properties);
                assert_eq!(format!("{:?}", a.geometry), format!("{:?}", b.geometry));
            }
        }
        for text in &broken {
            let want = read_slurping(text, SLURP_BYTES)
                .err()
                .expect("an error")
                .to_string();
            for slurp in [0, 1, 17] {
                let got = read_slurping(text, slurp)
                    .err()
                    .expect("an error")
                    .to_string();
                assert_eq!(got, want, "read in {slurp}-byte head: {text}");
            }
        }
        let first = read_slurping(&broken[0], 1).err().unwrap().to_string();
        assert!(first.contains("line 3"), "{first}");
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#;

    #[test]
    fn a_collection_is_read_feature_by_feature() {
        let text = format!(
            r#"{{"features":[{{"type":"Feature","properties":{{"id":"a"}},"geometry":{SQUARE}}},
               {{"type":"Feature","id":7,"properties":null,"geometry":null}}],
               "type":"FeatureCollection","bbox":[0,0,1,1]}}"#
        );
        let features = read(&text).unwrap();
        assert_eq!(features.len(), 2);
        assert_eq!(features[0].properties["id"], "a");
        assert!(features[0].geometry.is_some());
        assert_eq!(features[1].feature_id, Some(Value::from(7)));
        assert!(features[1].geometry.is_none());
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let text = "\u{feff}{\"type\":\"FeatureCollection\",\"features\":[]}";
        assert_eq!(read(text).unwrap().len(), 0);
    }

    #[test]
    fn a_single_feature_or_bare_geometry_is_a_layer_of_one() {
        let feature =
            format!(r#"{{"type":"Feature","properties":{{"id":"x"}},"geometry":{SQUARE}}}"#);
        assert_eq!(read(&feature).unwrap().len(), 1);
        let bare = read(SQUARE).unwrap();
        assert_eq!(bare.len(), 1);
        assert!(matches!(bare[0].geometry, Some(geo::Geometry::Polygon(_))));
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let err = |t: &str| read(t).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err("").contains("the file is empty"), "{}", err(""));
        assert!(err("  \n ").contains("the file is empty"));
        assert!(err("[1,2]").contains("is not GeoJSON"), "{}", err("[1,2]"));
        let truncated = r#"{"type":"FeatureCollection","features":[{"type":"Feature","#;
        assert!(
            err(truncated).contains("not valid JSON at line 1"),
            "{}",
            err(truncated)
        );
        let number = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}, 5]}"#;
        assert!(
            err(number).contains("feature 1 is not GeoJSON"),
            "{}",
            err(number)
        );
        assert!(
            err(number).contains("expected a Feature object"),
            "{}",
            err(number)
        );
        let bad = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"q"},"geometry":{"type":"Polygon","coordinates":5}}]}"#;
        assert!(
            err(bad).contains("feature 0 (id \"q\"): geometry is not valid GeoJSON"),
            "{}",
            err(bad)
        );
        assert!(
            err(r#"{"type":"Topology"}"#).contains("\"Topology\", expected a FeatureCollection")
        );
        assert!(err(r#"{"type":"FeatureCollection"}"#).contains("no \"features\" array"));
        // JSON has no NaN or infinity; a number too large for a double is refused as such.
        let huge = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1e999,0]}}]}"#;
        assert!(err(huge).contains("number out of range"), "{}", err(huge));
    }
}
