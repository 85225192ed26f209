//! The coverage curve: the covered share against the radius.

use crate::analysis::category::{sum_in_chunks, UnitCoverage};
use crate::analysis::demand::{DemandAt, DemandUnit};
use crate::analysis::study::Study;
use crate::input::config::Basis;
use crate::reach::CategoryReach;

/// Coverage against radius per slot, on population when known, else area. A demand point
/// is covered at every radius from its nearest distance on; an area's covered share is
/// clipped at each radius where it is partly reached.
#[allow(clippy::type_complexity)]
///
/// Returns per slot the sums the curve is made of ([`curve_shares`]): columns `0..n` the
/// weight covered at each radius, column `n` the whole.
pub(crate) fn curve(
    study: &Study<'_>,
    reach: &dyn CategoryReach,
    units: &[UnitCoverage],
) -> (Vec<Vec<f64>>, Option<Basis>) {
    let radii = &study.curve_radii_m;
    let slots = study.slots();
    if radii.is_empty() {
        return (vec![Vec::new(); slots], None);
    }
    let n = radii.len();
    let slot = |g: Option<usize>| g.map(|g| g + 1);
    // Sums: columns 0..n covered at each radius, column n the whole.
    let (sums, basis) = if study.has_demand() {
        let items: Vec<(usize, &DemandUnit)> = study.placed.units.iter().enumerate().collect();
        let sums = sum_in_chunks(&items, slots, n + 1, |&(u, unit), add| {
            let s = slot(study.unit_group(unit));
            let mut put = |k: usize, v: f64| {
                add(0, k, v);
                if let Some(s) = s {
                    add(s, k, v);
                }
            };
            put(n, unit.weight);
            match &unit.at {
                DemandAt::Point(_) => {
                    if let Some(d) = units[u].nearest_m {
                        for (k, &r) in radii.iter().enumerate() {
                            if d <= r {
                                put(k, unit.weight);
                            }
                        }
                    }
                }
                DemandAt::Area(place) => {
                    for (k, share) in reach.shares_at_radii(place, radii).into_iter().enumerate() {
                        put(k, unit.weight * share);
                    }
                }
            }
        });
        (sums, Basis::Population)
    } else {
        let by_population = study.facts.curve_by_population;
        let items: Vec<usize> = (0..study.places.len()).collect();
        let sums = sum_in_chunks(&items, slots, n + 1, |&k, add| {
            let s = slot(study.group_of[k]);
            let place = &study.places[k];
            let whole = if by_population {
                study.communities[k].population.unwrap_or(0.0)
            } else {
                place.area_m2
            };
            let mut put = |c: usize, v: f64| {
                add(0, c, v);
                if let Some(s) = s {
                    add(s, c, v);
                }
            };
            put(n, whole);
            if whole > 0.0 {
                for (c, share) in reach.shares_at_radii(place, radii).into_iter().enumerate() {
                    put(c, whole * share);
                }
            }
        });
        (
            sums,
            if by_population {
                Basis::Population
            } else {
                Basis::Area
            },
        )
    };
    (sums, Some(basis))
}

/// The curve `[radius, share]` from its sums (see [`curve`]); empty without radii.
pub(crate) fn curve_shares(radii: &[f64], sums: &[f64]) -> Vec<[f64; 2]> {
    let n = radii.len();
    let Some(&whole) = sums.get(n) else {
        return Vec::new();
    };
    radii
        .iter()
        .zip(sums)
        .map(|(&r, &covered)| {
            let c = if whole > 0.0 {
                (covered / whole).clamp(0.0, 1.0)
            } else {
                0.0
            };
            [r, c]
        })
        .collect()
}
