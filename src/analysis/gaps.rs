//! The gaps of a category: the uncovered parts of the places, largest first.

use geo::{Area, BooleanOps, BoundingRect, Contains, MultiPolygon, Polygon, Translate};
use rayon::prelude::*;

use crate::analysis::category::UnitCoverage;
use crate::analysis::demand::DemandAt;
use crate::analysis::measure::Coverage;
use crate::analysis::results::{Gap, GapShape, Owner};
use crate::analysis::study::Study;
use crate::analysis::summary::GapCounts;
use crate::error::feature_error;
use crate::error::Result;
use crate::input::crs::WorkCrs;
use crate::parallel::chunk_size;

/// The gaps of a category, largest first, and per slot the gaps kept and the slivers
/// dropped: uncovered parts of communities (with the demand living in them when a demand
/// layer is given); without communities, uncovered parts of demand polygons or uncovered
/// demand points. When no product shows them, the gaps of communities are only counted.
pub(crate) fn category_gaps(
    study: &Study<'_>,
    work: &WorkCrs,
    coverages: &[Coverage],
    units: &[UnitCoverage],
) -> Result<(Vec<Gap>, Vec<GapCounts>)> {
    let mut gaps = Vec::new();
    let mut counts = vec![GapCounts::default(); study.slots()];
    let mut tally = |g: Option<usize>, kept: bool| {
        for s in std::iter::once(0).chain(g.map(|g| g + 1)) {
            if kept {
                counts[s].kept += 1;
            } else {
                counts[s].dropped += 1;
            }
        }
    };
    if study.has_communities() {
        // In parallel, in chunks of communities; the chunks come back in order, so the
        // first error is the first in the file.
        let size = chunk_size(coverages.len());
        let crs = work.crs();
        let parts: Vec<Result<ChunkGaps>> = coverages
            .par_chunks(size)
            .enumerate()
            .map(|(c, chunk)| {
                WorkCrs::on_this_thread(crs, |work| {
                    gaps_of_chunk(study, work, c * size, chunk, units)
                })?
            })
            .collect();
        for part in parts {
            let (found, kept, slivers) = part?;
            gaps.extend(found);
            for g in kept {
                tally(g, true);
            }
            for g in slivers {
                tally(g, false);
            }
        }
    } else {
        for (u, unit) in study.placed.units.iter().enumerate() {
            let d = &study.demand[unit.feature];
            let group = study.group_of.get(unit.feature).copied().flatten();
            let fail = |problem| feature_error(study.demand_path, d.index, &d.id, problem);
            match &unit.at {
                DemandAt::Point(c) => {
                    if units[u].share < 1.0 {
                        let mut p = geo::Point::from(*c);
                        work.unproject(&mut p).map_err(fail)?;
                        tally(group, true);
                        gaps.push(Gap {
                            owner: Owner::Demand(unit.feature),
                            shape: GapShape::Point(p.0),
                            area_m2: None,
                            population: Some(unit.weight),
                        });
                    }
                }
                DemandAt::Area(place) => {
                    for g in &units[u].gaps {
                        let area_m2 = g.unsigned_area();
                        if area_m2 < study.min_gap_area_m2 || area_m2 == 0.0 {
                            tally(group, false);
                            continue;
                        }
                        let mut shape = g.clone();
                        work.unproject(&mut shape).map_err(fail)?;
                        tally(group, true);
                        gaps.push(Gap {
                            owner: Owner::Demand(unit.feature),
                            shape: GapShape::Area(shape),
                            area_m2: Some(area_m2),
                            population: Some(unit.weight * area_m2 / place.area_m2),
                        });
                    }
                }
            }
        }
    }
    sort_gaps(&mut gaps);
    Ok((gaps, counts))
}

/// Largest first (area, else residents), then by owner.
pub(crate) fn sort_gaps(gaps: &mut [Gap]) {
    gaps.sort_by(|a, b| {
        let key = |g: &Gap| g.area_m2.or(g.population).unwrap_or(0.0);
        key(b)
            .total_cmp(&key(a))
            .then(owner_key(a.owner).cmp(&owner_key(b.owner)))
    });
}

/// The gaps found in a chunk of communities, the group of each gap kept, and of each
/// sliver dropped.
pub(crate) type ChunkGaps = (Vec<Gap>, Vec<Option<usize>>, Vec<Option<usize>>);

/// The gaps of the communities `first..` whose coverages are `chunk`, lon/lat, and the
/// group of each sliver dropped.
pub(crate) fn gaps_of_chunk(
    study: &Study<'_>,
    work: &WorkCrs,
    first: usize,
    chunk: &[Coverage],
    units: &[UnitCoverage],
) -> Result<ChunkGaps> {
    let mut gaps = Vec::new();
    let mut kept = Vec::new();
    let mut slivers = Vec::new();
    for (j, cov) in chunk.iter().enumerate() {
        let k = first + j;
        let community = &study.communities[k];
        for g in &cov.gaps {
            let area_m2 = g.unsigned_area();
            if area_m2 < study.min_gap_area_m2 || area_m2 == 0.0 {
                slivers.push(study.group_of[k]);
                continue;
            }
            kept.push(study.group_of[k]);
            if !study.geometry_out {
                continue;
            }
            let population = if study.has_demand() {
                Some(demand_in_gap(study, k, g, units))
            } else {
                community
                    .population
                    .map(|p| p * area_m2 / study.places[k].area_m2)
            };
            let mut shape = g.clone();
            work.unproject(&mut shape).map_err(|problem| {
                feature_error(
                    study.community_path,
                    community.index,
                    &community.id,
                    problem,
                )
            })?;
            gaps.push(Gap {
                owner: Owner::Community(k),
                shape: GapShape::Area(shape),
                area_m2: Some(area_m2),
                population,
            });
        }
    }
    Ok((gaps, kept, slivers))
}

pub(crate) fn owner_key(o: Owner) -> (u8, usize) {
    match o {
        Owner::Community(k) => (0, k),
        Owner::Demand(i) => (1, i),
    }
}

/// The demand living in an uncovered part of community `k`: the weight of the uncovered
/// points inside it, and each polygon piece's weight times its share inside it.
pub(crate) fn demand_in_gap(
    study: &Study<'_>,
    k: usize,
    gap: &Polygon<f64>,
    units: &[UnitCoverage],
) -> f64 {
    let mut people = 0.0;
    for &u in &study.units_of[k] {
        let unit = &study.placed.units[u];
        match &unit.at {
            DemandAt::Point(c) => {
                if units[u].share < 1.0 && gap.contains(&geo::Point::from(*c)) {
                    people += unit.weight;
                }
            }
            DemandAt::Area(piece) => {
                let Some(bbox) = gap.bounding_rect() else {
                    continue;
                };
                if !geo::Intersects::intersects(&bbox, &piece.bbox()) {
                    continue;
                }
                let o = piece.origin();
                let overlap = piece
                    .local()
                    .intersection(&MultiPolygon(vec![gap.translate(-o.x, -o.y)]))
                    .unsigned_area();
                people += unit.weight * overlap / piece.area_m2;
            }
        }
    }
    people
}
