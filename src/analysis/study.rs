//! The study's places, demand and facilities in the working CRS, ready to measure, and the
//! facts every tile decides alike.

use std::path::Path;

use geo::Coord;

use crate::analysis::demand::{DemandAt, DemandUnit, Placed};
use crate::analysis::results::TileFacts;
use crate::input::crs::Crs;
use crate::input::load::{Community, Demand, Facility};
use crate::progress::Progress;
use crate::reach::circles::DistanceModel;
use crate::reach::Place;

/// The study's places in the working CRS, ready to measure.
pub(crate) struct Study<'a> {
    pub(crate) model: &'a dyn DistanceModel,
    pub(crate) progress: &'a dyn Progress,
    pub(crate) communities: Vec<Community>,
    pub(crate) community_path: &'a Path,
    /// One per kept community.
    pub(crate) places: Vec<Place>,
    pub(crate) demand: Vec<Demand>,
    pub(crate) demand_path: &'a Path,
    /// One per kept demand feature.
    pub(crate) demand_at: Vec<DemandAt>,
    pub(crate) placed: Placed,
    /// Units per community (positions in `placed.units`).
    pub(crate) units_of: Vec<Vec<usize>>,
    /// Units per demand feature.
    pub(crate) units_of_feature: Vec<Vec<usize>>,
    pub(crate) facilities: Vec<Facility>,
    /// Facility sites, working CRS.
    pub(crate) sites: Vec<Vec<Coord<f64>>>,
    /// Facilities outside the study area.
    pub(crate) outside: Vec<bool>,
    /// The community each facility belongs to (by field, else by location).
    pub(crate) facility_community: Vec<Option<usize>>,
    /// Group of each community, or of each demand feature without communities.
    pub(crate) group_of: Vec<Option<usize>>,
    /// Group names, in order.
    pub(crate) groups: Vec<String>,
    /// Where the population figures come from, if known.
    pub(crate) population_basis: Option<String>,
    pub(crate) served_threshold: f64,
    pub(crate) min_gap_area_m2: f64,
    pub(crate) curve_radii_m: Vec<f64>,
    /// Whether gaps and service areas are made in lon/lat (some product shows them);
    /// otherwise service areas are not dissolved and gaps only counted.
    pub(crate) geometry_out: bool,
    /// What the figures are decided on, alike in every tile.
    pub(crate) facts: StudyFacts,
}

impl Study<'_> {
    pub(crate) fn has_communities(&self) -> bool {
        !self.places.is_empty()
    }

    pub(crate) fn has_demand(&self) -> bool {
        self.facts.demand_layer
    }

    /// The group of a demand unit.
    pub(crate) fn unit_group(&self, unit: &DemandUnit) -> Option<usize> {
        match unit.community {
            Some(k) => self.group_of[k],
            None => self.group_of.get(unit.feature).copied().flatten(),
        }
    }

    /// Slots for the overall figures (0) and each group (1..).
    pub(crate) fn slots(&self) -> usize {
        1 + self.groups.len()
    }
}

/// What the figures of every tile are decided on, from all the study's features, so tiles
/// measured apart add up to the study measured whole.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StudyFacts {
    /// A demand layer is given: residents come from it.
    pub(crate) demand_layer: bool,
    /// Every community has a population.
    pub(crate) population_known: bool,
    /// The curve of areas is on population: every community has one, and some are above 0.
    pub(crate) curve_by_population: bool,
}

impl StudyFacts {
    /// The facts of a study measured whole: of the communities kept.
    pub(crate) fn of_kept(communities: &[Community], demand_layer: bool) -> StudyFacts {
        let population_known = communities.iter().all(|c| c.population.is_some());
        StudyFacts {
            demand_layer,
            population_known,
            curve_by_population: population_known
                && communities
                    .iter()
                    .any(|c| c.population.unwrap_or(0.0) > 0.0),
        }
    }
}

impl TileFacts {
    /// The facts of a study measured in one piece: it owns everything it holds.
    pub(crate) fn of_whole(study: &Study<'_>, crs: &Crs) -> TileFacts {
        let mut placed_weight = vec![0.0; study.demand.len()];
        for unit in &study.placed.units {
            if unit.community.is_some() || !study.has_communities() {
                placed_weight[unit.feature] += unit.weight;
            }
        }
        TileFacts {
            zones: vec![crs.clone()],
            demand_owned: vec![true; study.demand.len()],
            demand_placed: placed_weight,
            facility_inside: study.outside.iter().map(|o| !o).collect(),
            facility_owned: vec![true; study.facilities.len()],
            inside_elsewhere: Vec::new(),
        }
    }
}
