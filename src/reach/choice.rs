//! How each category reaches: along the streets or by straight-line circles, decided once
//! per category.

use geo::Coord;

use crate::input::config::ReachKind;
use crate::input::load::Facility;
use crate::reach::circles::{Circles, DistanceModel};
use crate::reach::index::FacilityIndex;
use crate::reach::network::{NetworkReach, Streets};
use crate::reach::CategoryReach;

/// A category's facilities and what is within their reach.
pub(crate) struct CategoryIndex<'a> {
    pub(crate) reach: Box<dyn CategoryReach + 'a>,
    /// Straight-line circles of the same facilities when `reach` is the street network,
    /// for the comparison.
    pub(crate) circles: Option<Box<dyn CategoryReach + 'a>>,
    /// Positions (in the facility layer) of the category's facilities.
    pub(crate) members: Vec<usize>,
}

/// How a category reaches: along `streets` when given, else (or when the category asks for
/// circles) straight-line circles of `model`. `count_bound_m` is the largest radius whose
/// counts the run asks for.
pub(crate) struct ReachChoice<'a> {
    pub(crate) model: &'a dyn DistanceModel,
    pub(crate) streets: Option<&'a Streets>,
    pub(crate) count_bound_m: f64,
    /// The largest radius the run measures circles at (categories, levels, the curve).
    pub(crate) cells_bound_m: f64,
}

pub(crate) fn index_category<'a>(
    name: &str,
    facilities: &[Facility],
    sites: &[Vec<Coord<f64>>],
    choice: &ReachChoice<'a>,
    kind: ReachKind,
) -> CategoryIndex<'a> {
    let members: Vec<usize> = facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.category.as_deref() == Some(name))
        .map(|(i, _)| i)
        .collect();
    let index = FacilityIndex::new(
        members
            .iter()
            .enumerate()
            .flat_map(|(k, &i)| sites[i].iter().map(move |&c| (c, k))),
    );
    let circles: Option<Box<dyn CategoryReach + 'a>> = match (choice.streets, kind) {
        (Some(_), ReachKind::Network) => Some(Box::new(
            Circles::new(index.clone(), choice.model).cells_up_to(choice.cells_bound_m),
        )),
        _ => None,
    };
    CategoryIndex {
        reach: reach_over(index, choice, kind),
        circles,
        members,
    }
}

/// The reach of the facilities in `index`: along the streets when the choice has them and
/// the category walks them, else straight-line circles.
pub(crate) fn reach_over<'a>(
    index: FacilityIndex,
    choice: &ReachChoice<'a>,
    kind: ReachKind,
) -> Box<dyn CategoryReach + 'a> {
    match (choice.streets, kind) {
        (Some(streets), ReachKind::Network) => {
            Box::new(NetworkReach::new(streets, index, choice.count_bound_m))
        }
        _ => Box::new(Circles::new(index, choice.model).cells_up_to(choice.cells_bound_m)),
    }
}
