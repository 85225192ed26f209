//! Walkable ways from an OpenStreetMap `.osm.pbf` extract, read block by block (osmpbf).
//!
//! The walking filter keeps a way when it has a `highway` tag whose value is not excluded
//! (by default motorway, motorway_link, construction, proposed, abandoned, raceway and
//! bus_guideway: closed to people on foot, not built, or for other vehicles), and it is not
//! tagged `foot=no`, `access=private` or `area=yes` (a pedestrian square's outline is not a
//! path along its edge). Everything else with a `highway` tag is walkable: footways, paths,
//! steps, residential streets, and also trunk and primary roads, whose sidewalks OSM often
//! does not map separately.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use geo::Coord;
use osmpbf::Element;

use super::graph::VertexKey;
use super::LonLatWay;
use crate::error::Result;
use crate::input::load::osm::for_each_element;

/// The walkable ways of an extract, in lon/lat.
#[derive(Debug, Clone, Default)]
pub struct OsmRead {
    /// The ways kept, their vertices keyed by OSM node id.
    pub ways: Vec<LonLatWay>,
    /// Ways in the file.
    pub ways_read: usize,
    /// Ways the walking filter left out.
    pub ways_filtered_out: usize,
    /// Vertices of kept ways whose node is not in the extract, left out of their way.
    pub nodes_missing: usize,
}

/// Whether a way with these tags is walkable (see the module documentation).
pub fn is_walkable<'t>(
    tags: impl Iterator<Item = (&'t str, &'t str)>,
    excluded: &[String],
) -> bool {
    let mut highway = None;
    for (k, v) in tags {
        match (k, v) {
            ("highway", v) => highway = Some(v),
            ("foot", "no") | ("access", "private") | ("area", "yes") => return false,
            _ => {}
        }
    }
    highway.is_some_and(|h| !excluded.iter().any(|e| e == h))
}

/// Reads the walkable ways of `path`, leaving out `excluded` highway values.
pub fn read_osm_ways(path: &Path, excluded: &[String]) -> Result<OsmRead> {
    let mut out = OsmRead::default();
    let mut refs: Vec<Vec<i64>> = Vec::new();
    // First pass: the ways and the nodes they need.
    for_each_element(path, |element| {
        if let Element::Way(w) = element {
            out.ways_read += 1;
            if is_walkable(w.tags(), excluded) {
                refs.push(w.refs().collect());
            } else {
                out.ways_filtered_out += 1;
            }
        }
    })?;
    let needed: HashSet<i64> = refs.iter().flatten().copied().collect();
    // Second pass: their coordinates.
    let mut at: HashMap<i64, Coord<f64>> = HashMap::with_capacity(needed.len());
    for_each_element(path, |element| {
        let (id, lon, lat) = match element {
            Element::Node(n) => (n.id(), n.lon(), n.lat()),
            Element::DenseNode(n) => (n.id(), n.lon(), n.lat()),
            _ => return,
        };
        if needed.contains(&id) {
            at.insert(id, Coord { x: lon, y: lat });
        }
    })?;
    // A way is cut where its node is missing (it left the extract), so that no straight
    // line joins the vertices either side of the gap.
    for way in refs {
        let mut keys = Vec::with_capacity(way.len());
        let mut coords = Vec::with_capacity(way.len());
        for id in way {
            match at.get(&id) {
                Some(&c) => {
                    keys.push(VertexKey::Osm(id));
                    coords.push(c);
                }
                None => {
                    out.nodes_missing += 1;
                    if !keys.is_empty() {
                        out.ways
                            .push((std::mem::take(&mut keys), std::mem::take(&mut coords)));
                    }
                }
            }
        }
        out.ways.push((keys, coords));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded() -> Vec<String> {
        crate::input::config::DEFAULT_EXCLUDED_HIGHWAYS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn the_walking_filter_keeps_streets_and_paths() {
        let ex = excluded();
        let walk = |tags: &[(&str, &str)]| is_walkable(tags.iter().copied(), &ex);
        assert!(walk(&[("highway", "footway")]));
        assert!(walk(&[("highway", "primary"), ("name", "Mannerheimintie")]));
        assert!(walk(&[("highway", "steps")]));
        assert!(!walk(&[("highway", "motorway")]));
        assert!(!walk(&[("highway", "construction")]));
        assert!(!walk(&[("highway", "residential"), ("foot", "no")]));
        assert!(!walk(&[("highway", "service"), ("access", "private")]));
        assert!(!walk(&[("highway", "pedestrian"), ("area", "yes")]));
        assert!(!walk(&[("railway", "rail")]));
        // An include that removes a default exclusion.
        let fewer: Vec<String> = ex.into_iter().filter(|h| h != "construction").collect();
        assert!(is_walkable(
            [("highway", "construction")].into_iter(),
            &fewer
        ));
    }
}
