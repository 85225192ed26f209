//! OpenStreetMap `.osm.pbf` extracts, read block by block (osmpbf): the shared block reader,
//! and facilities straight from an extract's tags.
//!
//! A facility layer read from an extract takes the elements whose tags a rule matches
//! (`match = { shop = "supermarket" }`, the tags being the properties): nodes as points,
//! closed ways as polygons and `type=multipolygon` relations as multipolygons (both reached
//! at an interior point, as polygon facilities are), open ways at a point on the line. Each
//! keeps its tags as properties, with `osm_id` (`node/123`, `way/45`, `relation/6`) as its id.
//! What could not be placed (a way or relation whose nodes left the extract) is counted in
//! the run's warnings, never dropped silently.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use geo::{Coord, Geometry, InteriorPoint, LineString, Point, Polygon};
use osmpbf::{BlobDecode, BlobReader, Element, RelMemberType};
use serde_json::{Map, Value};

use super::read::Parsed;
use super::CrsSource;
use crate::error::{Error, Result};
use crate::input::crs::Crs;
use crate::warning::{LayerNote, OsmTally};

/// Calls `f` with every element of the file, block by block; a block that cannot be read
/// or decoded is an error naming the file and the block's byte offset.
pub(crate) fn for_each_element(path: &Path, mut f: impl FnMut(Element<'_>)) -> Result<()> {
    let fail = |offset: Option<u64>, e: &dyn std::fmt::Display| Error::Network {
        path: path.to_path_buf(),
        message: match offset {
            Some(o) => format!(
                "not a readable OpenStreetMap PBF file: the block at byte {o}: {e} \
                 (a download cut short?)"
            ),
            None => format!("not a readable OpenStreetMap PBF file: {e} (a download cut short?)"),
        },
    };
    // Where each block starts, from the blocks' own lengths, so an error names the block
    // that failed (osmpbf gives the offset of blocks it could read).
    let starts = block_starts(path).map_err(|e| fail(None, &e))?;
    let reader = BlobReader::from_path(path).map_err(|e| fail(None, &e))?;
    let mut blocks = 0usize;
    for blob in reader {
        let at = starts.get(blocks).or(starts.last()).copied();
        let blob = blob.map_err(|e| fail(at, &e))?;
        match blob.decode().map_err(|e| fail(at, &e))? {
            BlobDecode::OsmData(block) => {
                // osmpbf computes positions as offset + granularity × value without
                // checking: a corrupt block overflows, which panics where overflow is
                // checked (and gives a position off the globe where it is not, refused
                // later as coordinates impossible in WGS 84).
                let read = catch_unwind(AssertUnwindSafe(|| block.elements().for_each(&mut f)));
                read.map_err(|_| fail(at, &"a position overflows (a corrupt block)"))?;
            }
            BlobDecode::OsmHeader(_) | BlobDecode::Unknown(_) => {}
        }
        blocks += 1;
    }
    if blocks == 0 {
        return Err(Error::Network {
            path: path.to_path_buf(),
            message: "not an OpenStreetMap PBF file: it holds no block".into(),
        });
    }
    Ok(())
}

/// The byte offsets of the blocks of a `.pbf`, read from their framing (a 4-byte length,
/// a BlobHeader whose field 3 is the blob's size) without reading the blobs. Stops at the
/// first frame that does not fit in the file: that block's offset is the last one.
fn block_starts(path: &Path) -> std::io::Result<Vec<u64>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut starts = Vec::new();
    let mut at = 0u64;
    let mut header = Vec::new();
    while at < len {
        starts.push(at);
        let mut size = [0u8; 4];
        if file.read_exact(&mut size).is_err() {
            break;
        }
        // osmpbf refuses headers over 64 KiB; so does this.
        let header_len = u64::from(u32::from_be_bytes(size));
        if header_len > 64 * 1024 || at + 4 + header_len > len {
            break;
        }
        header.resize(header_len as usize, 0);
        file.read_exact(&mut header)?;
        let Some(data_len) = blob_size(&header) else {
            break;
        };
        at += 4 + header_len + data_len;
        file.seek(SeekFrom::Start(at))?;
    }
    Ok(starts)
}

/// Field 3 (`datasize`, a varint) of a protobuf BlobHeader.
fn blob_size(header: &[u8]) -> Option<u64> {
    let mut i = 0;
    let mut size = None;
    while i < header.len() {
        let (key, next) = varint(header, i)?;
        i = next;
        match key & 7 {
            0 => {
                let (v, next) = varint(header, i)?;
                if key >> 3 == 3 {
                    size = Some(v);
                }
                i = next;
            }
            2 => {
                let (n, next) = varint(header, i)?;
                i = next.checked_add(usize::try_from(n).ok()?)?;
            }
            _ => return None,
        }
    }
    size
}

/// A protobuf varint at `i`: its value and the index after it.
fn varint(bytes: &[u8], mut i: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(i)?;
        i += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some((value, i));
        }
    }
    None
}

/// The tags of an element as properties, when any of its keys is one of `keys` (all
/// tagged elements when `keys` is `None`).
fn tags_of<'t>(
    tags: impl Iterator<Item = (&'t str, &'t str)> + Clone,
    keys: Option<&HashSet<String>>,
) -> Option<Map<String, Value>> {
    let wanted = match keys {
        Some(keys) => tags.clone().any(|(k, _)| keys.contains(k)),
        None => tags.clone().next().is_some(),
    };
    wanted.then(|| {
        tags.map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect()
    })
}

/// A way or relation kept in the first passes, placed once its nodes are known.
struct Pending {
    id: String,
    tags: Map<String, Value>,
    /// Node ids of each ring or line; a relation's outer rings, then its inner ones.
    outer: Vec<Vec<i64>>,
    inner: Vec<Vec<i64>>,
    relation: bool,
}

/// Reads the elements of the extract at `path` whose tags `keep` takes (pre-filtered on
/// `keys`, the tag keys the rules name), passing each as a feature to `sink`.
pub(crate) fn read_osm_features(
    path: &Path,
    keys: Option<&HashSet<String>>,
    keep: &dyn Fn(&Map<String, Value>) -> bool,
    sink: &mut dyn FnMut(Parsed) -> Result<()>,
) -> Result<(Crs, CrsSource, Option<LayerNote>)> {
    let wanted = |tags: Option<Map<String, Value>>| tags.filter(|t| keep(t));
    // Pass 1: the multipolygon relations that match, and the ways they are made of.
    let mut pending: Vec<Pending> = Vec::new();
    let mut member_ways: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut roles: Vec<Vec<(i64, bool)>> = Vec::new();
    for_each_element(path, |element| {
        let Element::Relation(r) = element else {
            return;
        };
        if !r.tags().any(|(k, v)| k == "type" && v == "multipolygon") {
            return;
        }
        let Some(tags) = wanted(tags_of(r.tags(), keys)) else {
            return;
        };
        let members: Vec<(i64, bool)> = r
            .members()
            .filter(|m| m.member_type == RelMemberType::Way)
            .map(|m| (m.member_id, m.role().is_ok_and(|role| role == "inner")))
            .collect();
        for &(way, _) in &members {
            member_ways.entry(way).or_default().push(pending.len());
        }
        roles.push(members);
        pending.push(Pending {
            id: format!("relation/{}", r.id()),
            tags,
            outer: Vec::new(),
            inner: Vec::new(),
            relation: true,
        });
    })?;
    // Pass 2: the ways that match, and the refs of the relations' member ways.
    let mut way_refs: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut ways: Vec<Pending> = Vec::new();
    for_each_element(path, |element| {
        let Element::Way(w) = element else {
            return;
        };
        if member_ways.contains_key(&w.id()) {
            way_refs.insert(w.id(), w.refs().collect());
        }
        if let Some(tags) = wanted(tags_of(w.tags(), keys)) {
            ways.push(Pending {
                id: format!("way/{}", w.id()),
                tags,
                outer: vec![w.refs().collect()],
                inner: Vec::new(),
                relation: false,
            });
        }
    })?;
    for (relation, members) in pending.iter_mut().zip(roles) {
        let (mut outer, mut inner) = (Vec::new(), Vec::new());
        for (way, is_inner) in members {
            if let Some(refs) = way_refs.get(&way) {
                if is_inner {
                    inner.push(refs.clone());
                } else {
                    outer.push(refs.clone());
                }
            }
        }
        relation.outer = rings(outer);
        relation.inner = rings(inner);
    }
    let needed: HashSet<i64> = ways
        .iter()
        .chain(&pending)
        .flat_map(|p| p.outer.iter().chain(&p.inner).flatten().copied())
        .collect();
    // Pass 3: the nodes that match (features now, in file order), and the coordinates.
    let mut at: HashMap<i64, Coord<f64>> = HashMap::with_capacity(needed.len());
    let mut tally = OsmTally::default();
    let mut index = 0;
    let mut failed = None;
    for_each_element(path, |element| {
        let (id, lon, lat, tags) = match &element {
            Element::Node(n) => (n.id(), n.lon(), n.lat(), tags_of(n.tags(), keys)),
            Element::DenseNode(n) => (n.id(), n.lon(), n.lat(), tags_of(n.tags(), keys)),
            _ => return,
        };
        let c = Coord { x: lon, y: lat };
        if needed.contains(&id) {
            at.insert(id, c);
        }
        if failed.is_some() {
            return;
        }
        if let Some(tags) = wanted(tags) {
            tally.nodes += 1;
            let feature = parsed(index, format!("node/{id}"), tags, Geometry::Point(Point(c)));
            index += 1;
            if let Err(e) = sink(feature) {
                failed = Some(e);
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    for p in ways.into_iter().chain(pending) {
        let Some(geometry) = place(&p, &at, &mut tally) else {
            tally.unplaced.push(p.id);
            continue;
        };
        sink(parsed(index, p.id, p.tags, geometry))?;
        index += 1;
    }
    Ok((Crs::Wgs84, CrsSource::File, Some(LayerNote::Osm(tally))))
}

fn parsed(
    index: usize,
    id: String,
    mut tags: Map<String, Value>,
    geometry: Geometry<f64>,
) -> Parsed {
    tags.insert("osm_id".into(), Value::String(id.clone()));
    Parsed {
        index,
        feature_id: Some(Value::String(id)),
        properties: tags,
        geometry: Some(geometry),
        defects: Vec::new(),
    }
}

/// The geometry of a way or relation from its nodes' coordinates. A way cut at the
/// extract's edge is placed from the nodes inside it (and counted); `None` when no node of it
/// is in the extract, or a relation has no closed outer ring whose nodes are all there.
fn place(
    p: &Pending,
    at: &HashMap<i64, Coord<f64>>,
    tally: &mut OsmTally,
) -> Option<Geometry<f64>> {
    let line = |refs: &Vec<i64>| -> Option<LineString<f64>> {
        refs.iter()
            .map(|id| at.get(id).copied())
            .collect::<Option<Vec<_>>>()
            .map(LineString)
    };
    if p.relation {
        let outer: Vec<LineString<f64>> = p.outer.iter().filter_map(line).collect();
        let inner: Vec<LineString<f64>> = p.inner.iter().filter_map(line).collect();
        if outer.is_empty() {
            return None;
        }
        if outer.len() < p.outer.len() {
            tally.partial.push(p.id.clone());
        }
        tally.relations += 1;
        return Some(Geometry::MultiPolygon(super::shapefile::nest(outer, inner)));
    }
    let refs = p.outer.first()?;
    let Some(coords) = line(refs) else {
        // Cut at the edge: a point among the nodes that are there.
        let present: Vec<Coord<f64>> = refs.iter().filter_map(|id| at.get(id).copied()).collect();
        let point = LineString(present).interior_point()?;
        tally.ways += 1;
        tally.partial.push(p.id.clone());
        return Some(Geometry::Point(point));
    };
    tally.ways += 1;
    if refs.len() >= 4 && refs.first() == refs.last() {
        Some(Geometry::Polygon(Polygon::new(coords, vec![])))
    } else {
        tally.open_ways += 1;
        coords.interior_point().map(Geometry::Point)
    }
}

/// Closed rings chained from ways that share end nodes; ways that close no ring are left
/// out (the relation is then placed by the rings that do close, or not at all).
fn rings(mut ways: Vec<Vec<i64>>) -> Vec<Vec<i64>> {
    let mut out = Vec::new();
    while let Some(mut ring) = ways.pop() {
        while ring.len() > 1 && ring.first() != ring.last() {
            let last = *ring.last().unwrap_or(&0);
            let Some(k) = ways
                .iter()
                .position(|w| w.first() == Some(&last) || w.last() == Some(&last))
            else {
                break;
            };
            let mut next = ways.swap_remove(k);
            if next.first() != Some(&last) {
                next.reverse();
            }
            ring.extend_from_slice(&next[1..]);
        }
        if ring.len() >= 4 && ring.first() == ring.last() {
            out.push(ring);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_chain_ways_that_share_ends() {
        // A square split into two ways, one of them drawn backwards, and a dangling way.
        let ways = vec![vec![1, 2, 3], vec![1, 4, 3], vec![7, 8]];
        let r = rings(ways);
        assert_eq!(r.len(), 1);
        let mut ring = r[0].clone();
        assert_eq!(ring.first(), ring.last());
        ring.pop();
        ring.sort_unstable();
        assert_eq!(ring, vec![1, 2, 3, 4]);
    }
}
