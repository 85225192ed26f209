//! Where people live: demand features placed in the communities.
//!
//! A demand point belongs to the community it lies in. A demand polygon of known
//! population is split over the communities by area: the piece inside a community holds
//! the polygon's weight times the piece's share of the polygon's area (people are spread
//! evenly inside each polygon, a much finer assumption than inside each community).
//! Demand outside every community is left out of the figures and counted. Without a
//! community layer, every demand feature is a unit of its own.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use geo::{Area, BooleanOps, Coord, MultiPolygon, Translate};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::input::load::Demand;
use crate::reach::index::CommunityIndex;
use crate::reach::Place;

/// A demand feature in the working CRS.
#[derive(Debug, Clone)]
pub enum DemandAt {
    /// A weighted point.
    Point(Coord<f64>),
    /// A polygon of known population.
    Area(Place),
}

impl DemandAt {
    /// The point distances are measured from.
    pub fn centre(&self) -> Coord<f64> {
        match self {
            DemandAt::Point(c) => *c,
            DemandAt::Area(p) => p.centre,
        }
    }
}

/// A part of a demand feature inside one community (or the whole feature).
#[derive(Debug, Clone)]
pub struct DemandUnit {
    /// Position of the demand feature.
    pub feature: usize,
    /// Position of the community it lies in; `None` without a community layer.
    pub community: Option<usize>,
    /// People in this part.
    pub weight: f64,
    /// Where: the point, or the piece of the polygon.
    pub at: DemandAt,
}

/// The units, and the demand left outside every community.
#[derive(Debug, Clone, Default)]
pub struct Placed {
    /// Units in feature order.
    pub units: Vec<DemandUnit>,
    /// Demand features wholly outside every community.
    pub outside_features: usize,
    /// Weight outside every community (whole features and the outer parts of split ones).
    pub outside_weight: f64,
}

/// Places the demand features in the communities (if any).
pub fn place_demand(
    path: &Path,
    features: &[Demand],
    at: &[DemandAt],
    communities: Option<&[Place]>,
) -> Result<Placed> {
    let Some(places) = communities else {
        let units = at
            .iter()
            .enumerate()
            .map(|(i, a)| DemandUnit {
                feature: i,
                community: None,
                weight: features[i].weight,
                at: a.clone(),
            })
            .collect();
        return Ok(Placed {
            units,
            ..Placed::default()
        });
    };
    let index = CommunityIndex::new(places.iter().map(|p| (&p.boundary, p.edges())));
    let per_feature: Vec<(Vec<DemandUnit>, f64)> = at
        .par_iter()
        .enumerate()
        .map(|(i, a)| {
            let weight = features[i].weight;
            match a {
                DemandAt::Point(c) => Ok(match index.locate(*c) {
                    Some(k) => (
                        vec![DemandUnit {
                            feature: i,
                            community: Some(k),
                            weight,
                            at: a.clone(),
                        }],
                        0.0,
                    ),
                    None => (Vec::new(), weight),
                }),
                DemandAt::Area(cell) => {
                    catch_unwind(AssertUnwindSafe(|| split(i, weight, cell, places, &index)))
                        .map_err(|_| Error::Geometry {
                            path: path.to_path_buf(),
                            index: features[i].index,
                            id: features[i].id.clone(),
                            message:
                                "splitting the polygon over the communities failed inside the \
                              geometry library"
                                    .into(),
                        })
                }
            }
        })
        .collect::<Result<_>>()?;
    let mut placed = Placed::default();
    for (units, outside) in per_feature {
        if units.is_empty() {
            placed.outside_features += 1;
        }
        placed.outside_weight += outside;
        placed.units.extend(units);
    }
    Ok(placed)
}

/// The pieces of one polygon inside the communities, and the weight outside them.
fn split(
    feature: usize,
    weight: f64,
    cell: &Place,
    places: &[Place],
    index: &CommunityIndex<'_>,
) -> (Vec<DemandUnit>, f64) {
    let origin = cell.origin();
    let local = cell.local();
    let mut units = Vec::new();
    let mut inside_m2 = 0.0;
    for k in index.overlapping(cell.bbox()) {
        let community: MultiPolygon<f64> = places[k].boundary.translate(-origin.x, -origin.y);
        let piece = local.intersection(&community);
        let area = piece.unsigned_area();
        if area <= 0.0 {
            continue;
        }
        let Some(place) = Place::new(piece.translate(origin.x, origin.y)) else {
            continue;
        };
        inside_m2 += area;
        units.push(DemandUnit {
            feature,
            community: Some(k),
            weight: weight * area / cell.area_m2,
            at: DemandAt::Area(place),
        });
    }
    // Pieces summing to the whole (to clipping precision) leave nothing outside.
    let outside_share = ((cell.area_m2 - inside_m2) / cell.area_m2).max(0.0);
    let outside_share = if outside_share < 1e-9 {
        0.0
    } else {
        outside_share
    };
    (units, weight * outside_share)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::wkt;

    fn demand(weight: f64) -> Demand {
        Demand {
            index: 0,
            id: "d".into(),
            weight,
            shape: crate::input::load::DemandShape::Point(Coord { x: 0.0, y: 0.0 }),
            group: None,
            defects: vec![],
        }
    }

    /// A 100 m cell of 1,000 people over two communities: 30 m of it in the west one, 50 m
    /// in the east one, 20 m in neither. The pieces hold 300 and 500 people, 200 are
    /// outside.
    #[test]
    fn a_polygon_is_split_by_area() {
        let west = Place::new(wkt!(MULTIPOLYGON(((-100. 0.,30. 0.,30. 100.,-100. 100.,-100. 0.)))))
            .unwrap();
        let east =
            Place::new(wkt!(MULTIPOLYGON(((50. 0.,200. 0.,200. 100.,50. 100.,50. 0.))))).unwrap();
        let cell =
            Place::new(wkt!(MULTIPOLYGON(((0. 0.,100. 0.,100. 100.,0. 100.,0. 0.))))).unwrap();
        let placed = place_demand(
            Path::new("d.geojson"),
            &[demand(1000.0)],
            &[DemandAt::Area(cell)],
            Some(&[west, east]),
        )
        .unwrap();
        assert_eq!(placed.units.len(), 2);
        assert_eq!(placed.units[0].community, Some(0));
        assert!((placed.units[0].weight - 300.0).abs() < 1e-6);
        assert_eq!(placed.units[1].community, Some(1));
        assert!((placed.units[1].weight - 500.0).abs() < 1e-6);
        assert!((placed.outside_weight - 200.0).abs() < 1e-6);
        assert_eq!(placed.outside_features, 0);
    }

    #[test]
    fn a_point_goes_to_the_community_it_lies_in() {
        let a = Place::new(wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.))))).unwrap();
        let b = Place::new(wkt!(MULTIPOLYGON(((10. 0.,20. 0.,20. 10.,10. 10.,10. 0.))))).unwrap();
        let at = [
            DemandAt::Point(Coord { x: 15.0, y: 5.0 }),
            DemandAt::Point(Coord { x: 10.0, y: 5.0 }), // on the shared edge: the first
            DemandAt::Point(Coord { x: 50.0, y: 5.0 }),
        ];
        let placed = place_demand(
            Path::new("d.geojson"),
            &[demand(1.0), demand(2.0), demand(4.0)],
            &at,
            Some(&[a, b]),
        )
        .unwrap();
        let got: Vec<_> = placed
            .units
            .iter()
            .map(|u| (u.feature, u.community))
            .collect();
        assert_eq!(got, vec![(0, Some(1)), (1, Some(0))]);
        assert_eq!(placed.outside_features, 1);
        assert_eq!(placed.outside_weight, 4.0);
    }
}
