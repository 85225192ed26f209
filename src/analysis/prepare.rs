//! The study prepared for measuring: the layers checked and projected. Boundaries are
//! validated (repaired, skipped or refused by the layer's policy), facilities and demand
//! put into the working CRS, the layers' extents checked against each other.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use geo::{Area, BoundingRect, Coord, CoordsIter, MapCoordsInPlace, MultiPolygon, Translate};
use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::demand::DemandAt;
use crate::error::feature_error;
use crate::error::{Error, FeatureProblem, Result};
use crate::input::config::{closest, Job, Numerator};
use crate::input::crs::{Crs, LonLat, WorkCrs};
use crate::input::load::{Community, Demand, DemandShape, Facility, Layer};
use crate::input::validate::{check_boundary, Check, InvalidPolicy};
use crate::parallel::{chunk_size, panic_message, split_at_chunks, weighted_chunks};
use crate::reach::Place;
use crate::warning::{Consequence, Defect, Warning};

/// Demand features projected and checked: points as they are, polygons through the same
/// boundary checks as communities. Returns the kept features (lon/lat), their working-CRS
/// shapes, and the repaired and skipped notes.
#[allow(clippy::type_complexity)]
pub(crate) fn prepare_demand(
    features: Vec<Demand>,
    path: &Path,
    policy: InvalidPolicy,
    work: &WorkCrs,
    warnings: &mut Vec<Warning>,
) -> Result<(
    Vec<Demand>,
    Vec<DemandAt>,
    Vec<BoundaryNote>,
    Vec<BoundaryNote>,
)> {
    let areas: Vec<(usize, &Demand, &MultiPolygon<f64>)> = features
        .iter()
        .enumerate()
        .filter_map(|(i, d)| match &d.shape {
            DemandShape::Area(b) => Some((i, d, b)),
            DemandShape::Point(_) => None,
        })
        .collect();
    let checked = project_boundaries(
        path,
        areas.iter().map(|(_, d, b)| Boundary {
            index: d.index,
            id: &d.id,
            shape: b,
            defects: &d.defects,
        }),
        policy,
        work,
        warnings,
    )?;
    let mut area_places = checked.places.into_iter();
    let mut kept = Vec::with_capacity(features.len());
    let mut at = Vec::with_capacity(features.len());
    for d in features {
        match &d.shape {
            DemandShape::Point(c) => {
                let mut p = geo::Point::from(*c);
                work.project(&mut p)
                    .map_err(|problem| feature_error(path, d.index, &d.id, problem))?;
                at.push(DemandAt::Point(p.0));
                kept.push(d);
            }
            DemandShape::Area(_) => {
                if let Some(Some(place)) = area_places.next() {
                    at.push(DemandAt::Area(place));
                    kept.push(d);
                }
            }
        }
    }
    Ok((kept, at, checked.repaired, checked.skipped))
}

/// A category asked for that no facility has is measured (coverage 0) with a warning,
/// unless its name is a near miss of one the facilities have: then it is a typo, and an
/// error that suggests the right name.
pub(crate) fn check_categories(job: &Job, facilities: &Layer<Facility>) -> Result<Vec<Warning>> {
    let found: BTreeSet<&str> = facilities
        .features
        .iter()
        .filter_map(|f| f.category.as_deref())
        .collect();
    let ruled: BTreeSet<&str> = job
        .facilities
        .rules
        .iter()
        .map(|r| r.category.as_str())
        .collect();
    // Every category a figure asks for, with what asks for it.
    let mut wanted: Vec<(&str, Consequence)> = Vec::new();
    for spec in &job.categories {
        wanted.push((spec.name.as_str(), Consequence::CoverageZero));
    }
    for level in &job.levels {
        for c in &level.categories {
            wanted.push((
                c.as_str(),
                Consequence::NoCompleteCircle(level.name.clone()),
            ));
        }
    }
    for ind in &job.indicators {
        if let Numerator::Count(c) | Numerator::Sum { category: c, .. } = &ind.numerator {
            wanted.push((
                c.as_str(),
                Consequence::IndicatorCountsNone(ind.name.clone()),
            ));
        }
    }
    let mut warnings = Vec::new();
    let mut warned: BTreeSet<&str> = BTreeSet::new();
    for (name, consequence) in wanted {
        if found.contains(name) {
            continue;
        }
        let suggestion = closest(name, found.iter().copied());
        if let (Some(s), false) = (suggestion, ruled.contains(name)) {
            return Err(Error::UnknownCategory {
                path: facilities.path.clone(),
                name: name.to_string(),
                known: found.iter().map(|s| s.to_string()).collect(),
                suggestion: Some(s.to_string()),
            });
        }
        if !warned.insert(name) {
            continue;
        }
        warnings.push(Warning::NoFacility {
            category: name.to_string(),
            path: facilities.path.display().to_string(),
            no_rule_matched: ruled.contains(name),
            consequence,
            found: found.iter().map(|s| s.to_string()).collect(),
        });
    }
    Ok(warnings)
}

pub(crate) fn to_lonlat_communities(layer: &mut Layer<Community>) -> Result<()> {
    let path = layer.path.as_path();
    let weight = |c: &Community| c.boundary.coords_count();
    each_to_lonlat(&layer.crs, &mut layer.features, weight, |ll, c| {
        ll.check_not_degrees(c.boundary.coords_iter())
            .and_then(|()| c.boundary.try_map_coords_in_place(|p| ll.convert(p)))
            .map_err(|problem| feature_error(path, c.index, &c.id, problem))
    })
}

pub(crate) fn to_lonlat_demand(layer: &mut Layer<Demand>) -> Result<()> {
    let path = layer.path.as_path();
    let weight = |d: &Demand| match &d.shape {
        DemandShape::Point(_) => 1,
        DemandShape::Area(b) => b.coords_count(),
    };
    each_to_lonlat(&layer.crs, &mut layer.features, weight, |ll, d| {
        let fail = |problem| feature_error(path, d.index, &d.id, problem);
        match &mut d.shape {
            DemandShape::Point(c) => {
                ll.check_not_degrees(std::iter::once(*c)).map_err(fail)?;
                *c = ll.convert(*c).map_err(fail)?;
            }
            DemandShape::Area(b) => {
                ll.check_not_degrees(b.coords_iter())
                    .and_then(|()| b.try_map_coords_in_place(|p| ll.convert(p)))
                    .map_err(fail)?;
            }
        }
        Ok(())
    })
}

pub(crate) fn to_lonlat_facilities(layer: &mut Layer<Facility>) -> Result<()> {
    let path = layer.path.as_path();
    let weight = |f: &Facility| f.sites.len();
    each_to_lonlat(&layer.crs, &mut layer.features, weight, |ll, f| {
        let fail = |problem| feature_error(path, f.index, &f.id, problem);
        ll.check_not_degrees(f.sites.iter().copied())
            .map_err(fail)?;
        for s in &mut f.sites {
            *s = ll.convert(*s).map_err(fail)?;
        }
        Ok(())
    })
}

/// Converts each feature of a layer in `crs` to lon/lat with `convert`; the first error in
/// file order. Datums worked out in code (GCJ-02, BD-09, WGS 84) run in parallel chunks;
/// those PROJ transforms run on one thread, since a transform is built per thread and
/// costs more than converting a layer.
fn each_to_lonlat<T: Send>(
    crs: &Crs,
    features: &mut [T],
    weight: impl Fn(&T) -> usize,
    convert: impl Fn(&LonLat, &mut T) -> Result<()> + Sync,
) -> Result<()> {
    let chunks = match crs {
        Crs::Proj(_) if !features.is_empty() => std::iter::once(0..features.len()).collect(),
        _ => weighted_chunks(&features.iter().map(&weight).collect::<Vec<_>>()),
    };
    let chunks: Vec<Result<()>> = split_at_chunks(features, &chunks)
        .into_par_iter()
        .map(|chunk| {
            let ll = LonLat::from(crs)?;
            chunk.iter_mut().try_for_each(|f| convert(&ll, f))
        })
        .collect();
    chunks.into_iter().collect()
}

/// The lon/lat extent of some coordinates: west, south, east, north.
pub(crate) fn extent(coords: impl Iterator<Item = Coord<f64>>) -> Option<[f64; 4]> {
    coords.fold(None, |e: Option<[f64; 4]>, c| {
        Some(match e {
            None => [c.x, c.y, c.x, c.y],
            Some([w, s, e, n]) => [w.min(c.x), s.min(c.y), e.max(c.x), n.max(c.y)],
        })
    })
}

/// Refuses layers that lie far apart: more than 50 km (or twenty radii) between their
/// extents is a CRS mistake, not data.
pub(crate) fn check_layers_overlap(
    a: (&Path, Option<[f64; 4]>),
    b: (&Path, Option<[f64; 4]>),
    longest_m: f64,
) -> Result<()> {
    let ((a_path, Some(c)), (b_path, Some(f))) = (a, b) else {
        return Ok(());
    };
    let lat = ((c[1] + c[3]) / 2.0).to_radians();
    let dx = (f[0] - c[2]).max(c[0] - f[2]).max(0.0) * 111.32 * lat.cos();
    let dy = (f[1] - c[3]).max(c[1] - f[3]).max(0.0) * 110.57;
    let km = dx.hypot(dy);
    if km > (50.0f64).max(20.0 * longest_m / 1000.0) {
        return Err(Error::LayersApart {
            communities: a_path.to_path_buf(),
            communities_extent: c,
            facilities: b_path.to_path_buf(),
            facilities_extent: f,
            km,
        });
    }
    Ok(())
}

/// Centre of the communities' bounding box, lon/lat.
pub(crate) fn study_area_centre(extent: Option<[f64; 4]>) -> Coord<f64> {
    extent
        .map(|[w, s, e, n]| Coord {
            x: (w + e) / 2.0,
            y: (s + n) / 2.0,
        })
        .unwrap_or(Coord { x: 0.0, y: 0.0 })
}

/// A community that the boundary checks repaired or left out.
#[derive(Debug, Clone, Serialize)]
pub struct BoundaryNote {
    /// Position in the input file.
    pub index: usize,
    /// Community id.
    pub id: String,
    /// What was wrong.
    pub problems: Vec<Defect>,
    /// Area of the rings as drawn, m2 (overlaps counted twice, bow-tie lobes cancelling).
    pub area_m2_as_drawn: f64,
    /// Area measured after repair, m2; `None` if left out.
    pub area_m2_used: Option<f64>,
}

/// Communities ready to measure, and what the checks did.
pub(crate) struct Checked {
    /// One per input community; `None` where it was left out.
    pub(crate) places: Vec<Option<Place>>,
    pub(crate) repaired: Vec<BoundaryNote>,
    pub(crate) skipped: Vec<BoundaryNote>,
}

/// A boundary to check: position in the file, id, the shape (lon/lat), defects found in
/// the text.
pub(crate) struct Boundary<'a> {
    pub(crate) index: usize,
    pub(crate) id: &'a str,
    pub(crate) shape: &'a MultiPolygon<f64>,
    pub(crate) defects: &'a [Defect],
}

/// Projects the boundaries and checks them; invalid ones are repaired, skipped or refused
/// as the layer's policy says, since clipping would otherwise miscount them. Projecting and
/// checking run in parallel, in chunks each with its own PROJ transform; the policy is then
/// applied in file order, so warnings and the first error do not depend on the threads.
pub(crate) fn project_boundaries<'a>(
    path: &Path,
    boundaries: impl Iterator<Item = Boundary<'a>>,
    policy: InvalidPolicy,
    work: &WorkCrs,
    warnings: &mut Vec<Warning>,
) -> Result<Checked> {
    let boundaries: Vec<Boundary<'a>> = boundaries.collect();
    let crs = work.crs();
    let weights: Vec<usize> = boundaries.iter().map(|b| b.shape.coords_count()).collect();
    let chunks: Vec<Result<Vec<Result<Prepared>>>> = weighted_chunks(&weights)
        .into_par_iter()
        .map(|chunk| {
            let chunk = &boundaries[chunk];
            WorkCrs::on_this_thread(crs, |work| {
                chunk
                    .iter()
                    .map(|c| prepare_boundary(path, c, work))
                    .collect()
            })
        })
        .collect();
    let mut checked = Checked {
        places: Vec::with_capacity(boundaries.len()),
        repaired: Vec::new(),
        skipped: Vec::new(),
    };
    let mut prepared = Vec::with_capacity(boundaries.len());
    for chunk in chunks {
        prepared.extend(chunk?);
    }
    for (c, prepared) in boundaries.iter().zip(prepared) {
        let Prepared { drawn, guarded } = prepared?;
        let fail = |problem| feature_error(path, c.index, c.id, problem);
        let (place, problems, repairable) = guarded;
        let valid_as_drawn = problems.is_empty();
        let place = match (place, valid_as_drawn, repairable, policy) {
            (Some(p), true, _, _) => Some(p),
            (Some(p), false, true, InvalidPolicy::Repair) => Some(p),
            (_, false, _, InvalidPolicy::Skip) => None,
            (_, false, true, InvalidPolicy::Fail) => {
                return Err(fail(FeatureProblem::Invalid {
                    problems: in_english(&problems),
                    hint: "--on-invalid repair mends it, --on-invalid skip leaves it out",
                }))
            }
            _ => {
                return Err(fail(FeatureProblem::Invalid {
                    problems: in_english(&problems),
                    hint: "it cannot be repaired; --on-invalid skip leaves it out",
                }))
            }
        };
        let place = match place {
            Some(Some(p)) => Some(p),
            Some(None) => return Err(fail(FeatureProblem::ZeroArea)),
            None => None,
        };
        if !problems.is_empty() {
            let note = BoundaryNote {
                index: c.index,
                id: c.id.to_string(),
                problems,
                area_m2_as_drawn: (drawn * 100.0).round() / 100.0,
                area_m2_used: place.as_ref().map(|p| (p.area_m2 * 100.0).round() / 100.0),
            };
            warnings.push(Warning::Boundary {
                path: path.display().to_string(),
                index: c.index,
                id: c.id.to_string(),
                problems: note.problems.clone(),
                used_m2: note.area_m2_used,
                drawn_m2: drawn,
            });
            if place.is_some() {
                checked.repaired.push(note);
            } else {
                checked.skipped.push(note);
            }
        }
        checked.places.push(place);
    }
    Ok(checked)
}

/// A boundary projected and checked: its area as drawn, and the place (`None` if the
/// boundary has no area left), the problems found and whether it could be repaired.
pub(crate) struct Prepared {
    pub(crate) drawn: f64,
    pub(crate) guarded: (Option<Option<Place>>, Vec<Defect>, bool),
}

pub(crate) fn prepare_boundary(path: &Path, c: &Boundary<'_>, work: &WorkCrs) -> Result<Prepared> {
    let mut boundary = c.shape.clone();
    work.project(&mut boundary)
        .map_err(|problem| feature_error(path, c.index, c.id, problem))?;
    let drawn = boundary.unsigned_area();
    // Checked and prepared near a local origin, away from large projected values, and
    // with any panic in the geometry library turned into an error naming the feature.
    let origin = boundary
        .bounding_rect()
        .map(|r| r.min())
        .unwrap_or_default();
    let local = boundary.translate(-origin.x, -origin.y);
    let guarded = catch_unwind(AssertUnwindSafe(|| {
        let check = check_boundary(&local, c.defects.to_vec());
        let place = |b: &MultiPolygon<f64>| Place::new(b.translate(origin.x, origin.y));
        match check {
            Check::Valid => (Some(place(&local)), Vec::new(), true),
            Check::Repaired { boundary, problems } => (Some(place(&boundary)), problems, true),
            Check::Unusable { problems } => (None, problems, false),
        }
    }))
    .map_err(|panic| Error::Geometry {
        path: path.to_path_buf(),
        index: c.index,
        id: c.id.to_string(),
        message: format!(
            "checking the boundary failed inside the geometry library: {}",
            panic_message(&panic)
        ),
    })?;
    Ok(Prepared { drawn, guarded })
}

pub(crate) fn project_facilities(
    layer: &Layer<Facility>,
    work: &WorkCrs,
) -> Result<Vec<Vec<Coord<f64>>>> {
    let crs = work.crs();
    let chunks: Vec<Result<Vec<Vec<Coord<f64>>>>> = layer
        .features
        .par_chunks(chunk_size(layer.features.len()))
        .map(|chunk| {
            WorkCrs::on_this_thread(crs, |work| {
                chunk
                    .iter()
                    .map(|f| {
                        let mut sites = geo::MultiPoint::from(f.sites.clone());
                        work.project(&mut sites).map_err(|problem| {
                            feature_error(&layer.path, f.index, &f.id, problem)
                        })?;
                        Ok(sites.0.into_iter().map(|p| p.0).collect())
                    })
                    .collect()
            })?
        })
        .collect();
    let mut out = Vec::with_capacity(layer.features.len());
    for chunk in chunks {
        out.extend(chunk?);
    }
    Ok(out)
}

/// Boundary defects joined, in English (error messages are English).
fn in_english(problems: &[Defect]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
