//! A place as reach sees it: its boundary in the metric working CRS, with what the
//! measuring asks of it often (area, centre, bounding box, the edges of a large one).

use geo::orient::Direction;
use geo::{
    Area, BoundingRect, Centroid, Contains, Coord, Distance, Euclidean, InteriorPoint,
    MultiPolygon, Orient, Point, Rect, Translate,
};

use crate::reach::index::EdgeIndex;

/// A community ready to measure: its boundary in the metric working CRS.
#[derive(Debug, Clone)]
pub struct Place {
    /// Boundary, metres.
    pub boundary: MultiPolygon<f64>,
    /// Area, m2.
    pub area_m2: f64,
    /// The point distances are measured from: the centroid when it lies inside the boundary,
    /// else a point inside (geo's `InteriorPoint`).
    pub centre: Coord<f64>,
    pub(crate) bbox: Rect<f64>,
    /// The edges of a large place (a district), for quick reach tests.
    edges: Option<EdgeIndex>,
}

impl Place {
    /// Prepares a boundary; `None` if it has no area.
    pub fn new(boundary: MultiPolygon<f64>) -> Option<Place> {
        // Exteriors counter-clockwise, holes clockwise: clipping counts a point as covered
        // or not by the winding of the rings around it.
        let boundary = boundary.orient(Direction::Default);
        let area_m2 = boundary.unsigned_area();
        let bbox = boundary.bounding_rect()?;
        if area_m2 <= 0.0 {
            return None;
        }
        let centre = boundary
            .centroid()
            .filter(|c| boundary.contains(c))
            .or_else(|| boundary.interior_point())?
            .0;
        let edges = EdgeIndex::of(&boundary);
        Some(Place {
            boundary,
            area_m2,
            centre,
            bbox,
            edges,
        })
    }

    /// The origin of the place's local coordinates: the corner of its bounding box.
    pub fn origin(&self) -> Coord<f64> {
        self.bbox.min()
    }

    /// The boundary in local coordinates.
    pub fn local(&self) -> MultiPolygon<f64> {
        let o = self.origin();
        self.boundary.translate(-o.x, -o.y)
    }

    /// The bounding box, working CRS.
    pub fn bbox(&self) -> Rect<f64> {
        self.bbox
    }

    /// Whether the place may meet `rect` (working CRS): exact for a large place, its
    /// bounding box for a small one.
    pub fn meets(&self, rect: Rect<f64>) -> bool {
        match &self.edges {
            Some(edges) => edges.meets(rect.min(), rect.max()),
            None => geo::Intersects::intersects(&self.bbox, &rect),
        }
    }

    /// The edges of a large place, indexed (`None` for a small one).
    pub fn edges(&self) -> Option<&EdgeIndex> {
        self.edges.as_ref()
    }

    /// Whether `c` lies inside the place or within `distance_m` of its boundary.
    pub fn within(&self, c: Coord<f64>, distance_m: f64) -> bool {
        match &self.edges {
            Some(edges) => edges.within(c, distance_m),
            None => Euclidean.distance(&Point::from(c), &self.boundary) <= distance_m,
        }
    }
}
