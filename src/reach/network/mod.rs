//! Walking distance along streets: the street network read from a line layer or an
//! OpenStreetMap extract, built into a graph, and measured as a [`CategoryReach`].
//!
//! See [`graph`] for the model (nodes, edges, islands, snapping) and [`NetworkReach`] for
//! distances, counts and areas.
//!
//! [`CategoryReach`]: crate::reach::CategoryReach

pub mod graph;
mod osm;
mod reach;

use std::path::Path;

use geo::{Coord, Geometry};
use serde::{Deserialize, Serialize};

use crate::error::{Error, FeatureProblem, Result};
use crate::input::config::NetworkLayer;
use crate::input::crs::{LonLat, WorkCrs};
use crate::input::load::read_lines;
pub use graph::{Attachment, GraphReport, StreetGraph, VertexKey, Way};
pub use osm::{is_walkable, read_osm_ways, OsmRead};
pub use reach::{NetworkReach, Streets, STREET_NETWORK};

/// What was read and kept of the street network, for summary.json.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NetworkInputs {
    /// The file read.
    pub path: String,
    /// "line layer" or "OpenStreetMap extract".
    pub source: String,
    /// The CRS of a line layer (OSM is WGS 84).
    pub crs: String,
    /// Ways (features, or OSM ways) read.
    pub ways_read: usize,
    /// OSM ways left out by the walking filter (0 for a line layer).
    pub ways_filtered_out: usize,
    /// Ways that gave edges.
    pub ways_kept: usize,
    /// Ways repeating another way exactly, not added twice.
    pub ways_duplicated: usize,
    /// Ways with fewer than two distinct vertices.
    pub ways_degenerate: usize,
    /// OSM way vertices whose node is not in the extract (left out of their way).
    pub nodes_missing: usize,
    /// Nodes of the graph.
    pub nodes: usize,
    /// Edges of the graph.
    pub edges: usize,
    /// Edges of zero length (two OSM nodes at one place), kept.
    pub edges_zero_length: usize,
    /// Total street length kept, km.
    pub length_km: f64,
    /// Components dropped for having fewer than `min_component_nodes` nodes.
    pub components_dropped: usize,
    /// Nodes in those components.
    pub nodes_dropped: usize,
    /// The threshold.
    pub min_component_nodes: usize,
    /// Snapping distance, metres.
    pub snap_max_m: f64,
    /// Grid cell side for areas, metres.
    pub cell_m: f64,
    /// OSM highway values left out.
    pub excluded_highways: Vec<String>,
    /// Facilities (per category) none of whose sites is within the snapping distance.
    pub facilities_unreachable: std::collections::BTreeMap<String, usize>,
    /// Demand points (or community centres without a demand layer) beyond the snapping
    /// distance.
    pub points_unreachable: usize,
}

/// [`NetworkInputs::source`] of a line layer.
pub const LINE_LAYER: &str = "line layer";
/// [`NetworkInputs::source`] of an OpenStreetMap extract.
pub const OSM_EXTRACT: &str = "OpenStreetMap extract";

/// Reads the network in `layer` and builds its graph in the working CRS.
pub fn load_network(layer: &NetworkLayer, work: &WorkCrs) -> Result<(Streets, NetworkInputs)> {
    let is_pbf = layer
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".pbf"));
    let (lonlat_ways, source, crs, read, filtered, missing) = if is_pbf {
        let osm = read_osm_ways(&layer.path, &layer.excluded_highways)?;
        (
            osm.ways,
            OSM_EXTRACT,
            "EPSG:4326".to_string(),
            osm.ways_read,
            osm.ways_filtered_out,
            osm.nodes_missing,
        )
    } else {
        let (ways, crs) = read_line_layer(layer)?;
        let n = ways.len();
        (ways, LINE_LAYER, crs, n, 0, 0)
    };
    if lonlat_ways.is_empty() {
        return Err(Error::Network {
            path: layer.path.clone(),
            message: if is_pbf {
                format!(
                    "no walkable way: {read} ways read, {filtered} left out by the filter \
                     (highway present; not {}; foot != no, access != private, area != yes)",
                    layer.excluded_highways.join("/")
                )
            } else {
                "no LineString or MultiLineString feature: a street network is a layer of lines"
                    .to_string()
            },
        });
    }
    let ways = project_ways(&layer.path, lonlat_ways, work)?;
    let graph = StreetGraph::build(&ways, layer.min_component_nodes);
    let r = graph.report().clone();
    if r.edges == 0 {
        return Err(Error::Network {
            path: layer.path.clone(),
            message: if r.ways_degenerate == r.ways {
                format!(
                    "no street is left: none of the {} ways has two vertices{}",
                    r.ways,
                    if missing > 0 {
                        format!(
                            " ({missing} of their nodes are not in the file: an extract of \
                             ways without their nodes?)"
                        )
                    } else {
                        String::new()
                    }
                )
            } else {
                format!(
                    "no street is left: {} ways gave {} components, all smaller than \
                     min_component_nodes = {}",
                    r.ways, r.components_dropped, layer.min_component_nodes
                )
            },
        });
    }
    let inputs = NetworkInputs {
        path: layer.path.display().to_string(),
        source: source.to_string(),
        crs,
        ways_read: read,
        ways_filtered_out: filtered,
        ways_kept: r.ways - r.ways_duplicated - r.ways_degenerate,
        ways_duplicated: r.ways_duplicated,
        ways_degenerate: r.ways_degenerate,
        nodes_missing: missing,
        nodes: r.nodes,
        edges: r.edges,
        edges_zero_length: r.edges_zero_length,
        length_km: r.length_m / 1000.0,
        components_dropped: r.components_dropped,
        nodes_dropped: r.nodes_dropped,
        min_component_nodes: layer.min_component_nodes,
        snap_max_m: layer.snap_max_m,
        cell_m: layer.cell_m,
        excluded_highways: if is_pbf {
            layer.excluded_highways.clone()
        } else {
            Vec::new()
        },
        facilities_unreachable: Default::default(),
        points_unreachable: 0,
    };
    Ok((Streets::new(graph, layer.snap_max_m, layer.cell_m), inputs))
}

/// A way in WGS 84 lon/lat with the keys that make its vertices nodes.
pub type LonLatWay = (Vec<VertexKey>, Vec<Coord<f64>>);

/// Reads a line layer: every LineString and MultiLineString part is a way, its vertices
/// keyed by their coordinates as written. Returns the ways in lon/lat and the CRS read.
fn read_line_layer(layer: &NetworkLayer) -> Result<(Vec<LonLatWay>, String)> {
    let mut lines: Vec<(usize, Option<String>, Vec<Coord<f64>>)> = Vec::new();
    let (crs, _, _) = read_lines(
        &layer.path,
        layer.crs.as_ref(),
        &layer.table,
        &mut |index, id, geometry| {
            let fail = |problem: FeatureProblem| Error::Feature {
                path: layer.path.clone(),
                index,
                id: id.clone(),
                problem,
            };
            match geometry {
                None => return Err(fail(FeatureProblem::NoGeometry)),
                Some(Geometry::LineString(l)) => lines.push((index, id.clone(), l.0)),
                Some(Geometry::MultiLineString(m)) => {
                    for l in m.0 {
                        lines.push((index, id.clone(), l.0));
                    }
                }
                Some(other) => {
                    return Err(fail(FeatureProblem::WrongGeometry {
                        found: crate::input::load::geometry_type(&other).to_string(),
                        expected: "LineString or MultiLineString (a street network)",
                    }))
                }
            }
            Ok(())
        },
    )?;
    let lonlat = LonLat::from(&crs)?;
    let mut ways = Vec::with_capacity(lines.len());
    for (index, id, coords) in lines {
        let fail = |problem: FeatureProblem| Error::Feature {
            path: layer.path.clone(),
            index,
            id: id.clone(),
            problem,
        };
        lonlat
            .check_not_degrees(coords.iter().copied())
            .map_err(fail)?;
        let keys = coords.iter().map(|&c| VertexKey::at(c)).collect();
        let converted = coords
            .iter()
            .map(|&c| lonlat.convert(c))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(fail)?;
        ways.push((keys, converted));
    }
    Ok((ways, crs.to_string()))
}

/// Projects lon/lat ways into the working CRS.
fn project_ways(path: &Path, ways: Vec<LonLatWay>, work: &WorkCrs) -> Result<Vec<Way>> {
    ways.into_iter()
        .map(|(keys, coords)| {
            let mut line = geo::LineString(coords);
            work.project(&mut line).map_err(|problem| Error::Network {
                path: path.to_path_buf(),
                message: format!("cannot project a way into {}: {problem}", work.crs()),
            })?;
            Ok(Way {
                keys,
                coords: line.0,
            })
        })
        .collect()
}

/// The bounding box of the kept streets (working CRS), to check the network overlaps the
/// study area.
pub fn extent_of(streets: &Streets) -> Option<geo::Rect<f64>> {
    use geo::BoundingRect;
    let coords = streets
        .graph()
        .edges()
        .iter()
        .flat_map(|e| e.line.iter().copied());
    geo::MultiPoint::from_iter(coords.map(geo::Point::from)).bounding_rect()
}
