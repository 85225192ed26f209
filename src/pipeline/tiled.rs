//! A study measured in tiles ([`crate::analysis::tiles`]) and the tiles' results merged into one.
//!
//! Each piece of a tile is measured as a study of its own ([`measure_study`]), in its own
//! working CRS, with the facilities and demand near its places; the results carry the sums
//! their summaries are made of ([`CategorySums`], [`LevelTotals`]), so merging adds the sums
//! and makes the summaries again. Every figure of the merge equals the study measured whole
//! in one CRS, up to the order of the additions (and to the CRS: that is the point).

use std::collections::{BTreeMap, BTreeSet};

use geo::{BooleanOps, Coord, CoordsIter, LineString, MultiPolygon, Polygon};
use rayon::prelude::*;

use super::*;
use crate::analysis::gaps::sort_gaps;
use crate::analysis::summary::overall_and_groups;
use crate::analysis::tiles::{PlaceSpot, TilePlan};
use crate::input::config::{IndicatorSpec, LevelSpec};

impl Loaded {
    /// The plan splitting this study into `tiles` tiles.
    pub(crate) fn plan(&self, job: &Job, tiles: usize) -> TilePlan {
        TilePlan::new(&self.spots(), job.work_crs.as_ref(), tiles)
    }

    /// Where each place is: the communities, else the demand features.
    fn spots(&self) -> Vec<Option<PlaceSpot>> {
        match (&self.communities, &self.demand) {
            (Some(c), _) => c
                .features
                .par_iter()
                .map(|c| PlaceSpot::of(c.boundary.coords_iter()))
                .collect(),
            (None, Some(d)) => d.features.par_iter().map(demand_spot).collect(),
            (None, None) => Vec::new(),
        }
    }

    /// The part of the study that piece `p` of `plan` measures: its places, the
    /// facilities it owns or that lie within the largest radius (of a category, a level or
    /// the curve) of its places or that name one of its communities, and with communities
    /// the demand near them.
    fn piece(&self, job: &Job, plan: &TilePlan, p: usize) -> Loaded {
        let piece = &plan.pieces[p];
        // Whatever can reach a place: the largest radius of a category, a level or the
        // curve.
        let farthest = job
            .curve_radii_m
            .iter()
            .copied()
            .fold(self.longest, f64::max);
        let halo = piece.halo(farthest);
        let near = |c: Coord<f64>| {
            halo.is_some_and(|h| {
                h.min().x <= c.x && c.x <= h.max().x && h.min().y <= c.y && c.y <= h.max().y
            })
        };
        let communities = self.communities.as_ref().map(|layer| Layer {
            features: piece
                .places
                .iter()
                .map(|&i| layer.features[i].clone())
                .collect(),
            ..layer_header(layer)
        });
        let ids: BTreeSet<&str> = communities
            .iter()
            .flat_map(|l| l.features.iter().map(|c| c.id.as_str()))
            .collect();
        let facilities = Layer {
            features: self
                .facilities
                .features
                .iter()
                .filter(|f| {
                    f.sites.iter().any(|&c| near(c))
                        || f.sites.first().is_some_and(|&c| plan.owner(c) == p)
                        || f.community.as_deref().is_some_and(|id| ids.contains(id))
                })
                .cloned()
                .collect(),
            ..layer_header(&self.facilities)
        };
        let demand = self.demand.as_ref().map(|layer| Layer {
            features: match &self.communities {
                // Without communities the demand features are the places.
                None => piece
                    .places
                    .iter()
                    .map(|&i| layer.features[i].clone())
                    .collect(),
                // With them: every feature that may lie in one of the piece's communities,
                // and those it owns (so a feature outside every community is kept once).
                Some(_) => {
                    let bbox = piece.bbox;
                    layer
                        .features
                        .iter()
                        .filter(|d| {
                            let spot = demand_spot(d);
                            let meets = match (spot, bbox) {
                                (Some(s), Some(b)) => geo::Intersects::intersects(&s.bbox, &b),
                                _ => false,
                            };
                            meets || spot.is_some_and(|s| plan.owner(s.point) == p)
                        })
                        .cloned()
                        .collect()
                }
            },
            ..layer_header(layer)
        });
        Loaded {
            communities,
            demand,
            facilities,
            warnings: self.warnings.clone(),
            study_extent: piece
                .bbox
                .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]),
            longest: self.longest,
            facts: self.facts,
        }
    }
}

/// Where a demand feature is, lon/lat.
fn demand_spot(d: &Demand) -> Option<PlaceSpot> {
    match &d.shape {
        DemandShape::Point(c) => PlaceSpot::of(std::iter::once(*c)),
        DemandShape::Area(b) => PlaceSpot::of(b.coords_iter()),
    }
}

/// Measures tile `k` of `plan` (0-based): the whole study as it always was when the plan is
/// one whole piece, else each of the tile's pieces in its own CRS, merged.
pub(crate) fn analyse_tile(
    job: &Job,
    model: &dyn DistanceModel,
    progress: &dyn Progress,
    loaded: Loaded,
    plan: &TilePlan,
    k: usize,
) -> Result<Analysis> {
    if plan.is_whole() {
        let centre = study_area_centre(loaded.study_extent);
        let work = WorkCrs::choose(job.work_crs.as_ref(), centre)?;
        return measure_study(job, model, progress, loaded, Scope { work, piece: None });
    }
    if !job.siting.is_empty() {
        return Err(Error::Setting {
            setting: "[[siting]]".into(),
            message: format!(
                "siting chooses sites over the whole study area at once, and this study is \
                 measured in tiles ({}): site each zone in a run of its own, or set \
                 [analysis] work_crs to measure the whole study in one CRS",
                zone_list(&plan.zones())
            ),
        });
    }
    progress.end();
    let mut parts = Vec::new();
    for &p in plan.tiles.get(k).into_iter().flatten() {
        let piece = &plan.pieces[p];
        let sub = loaded.piece(job, plan, p);
        let centre = study_area_centre(sub.study_extent);
        let work = WorkCrs::choose(piece.crs.as_ref().or(job.work_crs.as_ref()), centre)?;
        progress.begin(&format!("check, project {}", work.crs()), 0);
        let crs = work.crs().clone();
        let mut part = measure_study(
            job,
            model,
            progress,
            sub,
            Scope {
                work,
                piece: Some((plan, p)),
            },
        )?;
        // The result's features are lon/lat, as read.
        let owner_of = |c: Option<Coord<f64>>| c.is_some_and(|c| plan.owner(c) == p);
        part.tiles.demand_owned = part
            .demand
            .iter()
            .map(|d| owner_of(demand_spot(d).map(|s| s.point)))
            .collect();
        part.tiles.facility_owned = part
            .facilities
            .iter()
            .map(|f| owner_of(f.sites.first().copied()))
            .collect();
        let region = region_polygon(piece.region);
        for category in &mut part.categories {
            clip_service_areas(&mut category.service_areas, &region, &crs)?;
        }
        parts.push(part);
    }
    merge(job, parts)
}

/// "EPSG:32645, EPSG:32648 and EPSG:32651".
fn zone_list(zones: &[Crs]) -> String {
    let names: Vec<String> = zones.iter().map(|z| z.to_string()).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// A piece's region as a lon/lat rectangle, cut to the globe.
fn region_polygon(region: crate::analysis::tiles::Region) -> MultiPolygon<f64> {
    let [w, e] = region.lon.map(|v| v.clamp(-180.0, 180.0));
    let [s, n] = region.lat.map(|v| v.clamp(-90.0, 90.0));
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(w, s), (e, s), (e, n), (w, n), (w, s)]),
        Vec::new(),
    )])
}

/// Cuts a piece's service areas (lon/lat) to its region: a circle reaching into the next
/// tile's region is drawn by that tile, so the areas meet at the border without
/// overlapping. An area cut keeps the count of the facilities whose circles formed it; its
/// m2 are measured again in the piece's working CRS `crs`.
fn clip_service_areas(
    areas: &mut Vec<ServiceAreaOut>,
    region: &MultiPolygon<f64>,
    crs: &Crs,
) -> Result<()> {
    let inside = |area: &ServiceAreaOut| {
        let b = region.0[0].exterior().0[0]..=region.0[0].exterior().0[2];
        area.shape
            .coords_iter()
            .all(|c| b.start().x <= c.x && c.x < b.end().x && b.start().y <= c.y && c.y < b.end().y)
    };
    let clipped: Vec<Result<Option<ServiceAreaOut>>> = std::mem::take(areas)
        .into_par_iter()
        .map(|area| {
            if inside(&area) {
                return Ok(Some(area));
            }
            let shape = area.shape.intersection(region);
            if shape.0.is_empty() {
                return Ok(None);
            }
            let mut projected = shape.clone();
            WorkCrs::on_this_thread(crs, |work| work.project(&mut projected))?.map_err(
                |problem| Error::Crs {
                    crs: crs.to_string(),
                    message: format!("service area cut at a tile's border: {problem}"),
                },
            )?;
            Ok(Some(ServiceAreaOut {
                shape,
                area_m2: geo::Area::unsigned_area(&projected),
                facilities: area.facilities,
            }))
        })
        .collect();
    *areas = clipped
        .into_iter()
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok(())
}

/// Where one tile's feature goes in the merge.
struct Slots {
    /// Per part, per community: its position in the merge.
    communities: Vec<Vec<usize>>,
    /// Per part, per demand feature: its position in the merge.
    demand: Vec<Vec<usize>>,
    /// Per merged demand feature, the part (and position there) whose figures it shows.
    demand_from: Vec<(usize, usize)>,
    /// Per part, per group slot (1..): the merged slot.
    groups: Vec<Vec<usize>>,
}

/// Merges tiles' results into the study's: features in file order, each once; sums added
/// and summaries made again.
pub(crate) fn merge(job: &Job, parts: Vec<Analysis>) -> Result<Analysis> {
    let Some(first) = parts.first() else {
        return Err(Error::Setting {
            setting: "tiles".into(),
            message: "no tile holds a place: there is nothing to measure".into(),
        });
    };
    // Groups by name, in name order as a whole run has them.
    let groups: Vec<String> = parts
        .iter()
        .flat_map(|a| a.groups.iter().map(|g| g.group.clone()))
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    let slots = merge_slots(&parts, &groups);
    let communities = gather(&parts, |a| &a.communities, &slots.communities);
    let demand: Vec<Demand> = slots
        .demand_from
        .iter()
        .map(|&(p, i)| parts[p].demand[i].clone())
        .collect();
    let owned = OwnedFacilities::of(&parts);
    let mut inputs = merge_inputs(&parts, &communities, &demand, &owned);
    let mut warnings = merged_warnings(&parts);
    let mut demand_placed = vec![0.0; demand.len()];
    for (p, a) in parts.iter().enumerate() {
        for (i, w) in a.tiles.demand_placed.iter().enumerate() {
            demand_placed[slots.demand[p][i]] += w;
        }
    }
    if let (Some(d), true) = (inputs.demand.as_mut(), !communities.is_empty()) {
        note_outside(d, &demand_placed, &mut warnings);
    }
    inputs.network = merged_network(&parts, job, &owned.facilities, &mut warnings);
    if let Some(n) = &inputs.network {
        note_off_streets(n, &inputs, &communities, &demand, &mut warnings);
    }
    let merging = Merging {
        parts: &parts,
        slots: &slots,
        groups: &groups,
        owned: &owned,
        basis: population_basis(
            inputs.demand.as_ref(),
            inputs.communities.as_ref(),
            demand.len(),
            !communities.is_empty(),
        ),
        places_are: if communities.is_empty() {
            "demand features"
        } else {
            "communities"
        },
    };
    let group_of: Vec<Option<usize>> = if communities.is_empty() {
        demand
            .iter()
            .map(|d| group_slot(&groups, &d.group))
            .collect()
    } else {
        communities
            .iter()
            .map(|c| group_slot(&groups, &c.group))
            .collect()
    };
    let Figures {
        categories,
        levels,
        indicators,
        groups: group_results,
    } = merging.figures(job, &group_of)?;
    let zones = merged_zones(&parts);
    let work_crs = match study_centre(&communities, &demand) {
        Some(c) => crate::input::crs::utm_zone(c),
        None => first.work_crs.clone(),
    };
    Ok(Analysis {
        tiles: TileFacts {
            zones,
            demand_owned: vec![true; demand.len()],
            demand_placed,
            facility_inside: owned.inside.clone(),
            facility_owned: vec![true; owned.facilities.len()],
            inside_elsewhere: owned.inside_elsewhere.clone(),
        },
        work_crs,
        distance_model: first.distance_model.clone(),
        inputs,
        communities,
        demand,
        facilities: owned.facilities,
        categories,
        levels,
        indicators,
        groups: group_results,
        group_field: first.group_field.clone(),
        group_label: first.group_label.clone(),
        warnings,
        streets: first.streets.clone(),
        siting: Vec::new(),
    })
}

/// The facilities each tile owns, in file order, each once; inside the study area if inside
/// in any tile.
struct OwnedFacilities {
    facilities: Vec<Facility>,
    /// Per facility.
    inside: Vec<bool>,
    /// File positions of facilities inside some tile's study area that no tile here owns.
    inside_elsewhere: Vec<usize>,
}

impl OwnedFacilities {
    fn of(parts: &[Analysis]) -> OwnedFacilities {
        let mut inside: BTreeMap<usize, bool> = BTreeMap::new();
        let mut owned: BTreeMap<usize, Facility> = BTreeMap::new();
        for a in parts {
            for (i, f) in a.facilities.iter().enumerate() {
                *inside.entry(f.index).or_default() |= a.tiles.facility_inside[i];
                if a.tiles.facility_owned[i] {
                    owned.entry(f.index).or_insert_with(|| f.clone());
                }
            }
            for &i in &a.tiles.inside_elsewhere {
                inside.insert(i, true);
            }
        }
        let inside_elsewhere = inside
            .iter()
            .filter(|(i, &inside)| inside && !owned.contains_key(i))
            .map(|(&i, _)| i)
            .collect();
        let facilities: Vec<Facility> = owned.into_values().collect();
        OwnedFacilities {
            inside: facilities
                .iter()
                .map(|f| inside.get(&f.index).copied().unwrap_or(false))
                .collect(),
            facilities,
            inside_elsewhere,
        }
    }
}

/// The demand outside every community, for the study: its weight less what the tiles
/// placed in their communities.
fn note_outside(d: &mut DemandInputs, placed: &[f64], warnings: &mut Vec<Warning>) {
    let outside_weight = (d.weight - placed.iter().sum::<f64>()).max(0.0);
    let outside_features = placed.iter().filter(|&&w| w <= 0.0).count();
    d.outside_communities = Some(outside_features);
    d.outside_weight = Some((outside_weight * 10.0).round() / 10.0);
    if outside_weight > 1e-9 * d.weight.max(1.0) {
        warnings.push(Warning::DemandOutside {
            path: d.path.clone(),
            outside: outside_features,
            features: d.features,
            outside_weight,
            weight: d.weight,
        });
    }
}

/// The warning about people off the streets, for the study.
fn note_off_streets(
    n: &NetworkInputs,
    inputs: &Inputs,
    communities: &[Community],
    demand: &[Demand],
    warnings: &mut Vec<Warning>,
) {
    let total = match &inputs.demand {
        Some(_) => demand
            .iter()
            .filter(|d| matches!(d.shape, DemandShape::Point(_)))
            .count(),
        None => communities.len(),
    };
    if n.points_unreachable > 0 {
        warnings.push(Warning::PeopleOffStreets {
            far: n.points_unreachable,
            total,
            demand_points: inputs.demand.is_some(),
            snap_m: n.snap_max_m,
        });
    }
}

/// The zones the tiles were measured in, each once, in the tiles' order.
fn merged_zones(parts: &[Analysis]) -> Vec<Crs> {
    let mut zones: Vec<Crs> = Vec::new();
    for z in parts.iter().flat_map(|a| a.tiles.zones.iter()) {
        if !zones.contains(z) {
            zones.push(z.clone());
        }
    }
    zones
}

/// The figures of every tile merged: per category, level and indicator, and per group.
struct Figures {
    categories: Vec<CategoryResult>,
    levels: Vec<LevelResult>,
    indicators: Vec<IndicatorResult>,
    groups: Vec<GroupResult>,
}

/// What merging a category, level or indicator needs.
struct Merging<'a> {
    parts: &'a [Analysis],
    slots: &'a Slots,
    groups: &'a [String],
    owned: &'a OwnedFacilities,
    basis: Option<String>,
    places_are: &'static str,
}

impl Merging<'_> {
    /// Every category, level and indicator merged, and the groups' summaries of each.
    fn figures(&self, job: &Job, group_of: &[Option<usize>]) -> Result<Figures> {
        let mut group_results: Vec<GroupResult> = self
            .groups
            .iter()
            .map(|g| GroupResult {
                group: g.clone(),
                categories: Vec::new(),
                levels: Vec::new(),
                indicators: Vec::new(),
            })
            .collect();
        let mut categories = Vec::with_capacity(job.categories.len());
        for (c, spec) in job.categories.iter().enumerate() {
            let (result, by_group) = self.category(c, spec, &job.curve_radii_m)?;
            for (g, s) in group_results.iter_mut().zip(by_group) {
                g.categories.push(s);
            }
            categories.push(result);
        }
        let mut levels = Vec::with_capacity(job.levels.len());
        for (l, spec) in job.levels.iter().enumerate() {
            let (result, by_group) = self.level(l, spec)?;
            for (g, s) in group_results.iter_mut().zip(by_group) {
                g.levels.push(s);
            }
            levels.push(result);
        }
        let mut indicators = Vec::with_capacity(job.indicators.len());
        for (n, spec) in job.indicators.iter().enumerate() {
            let (result, by_group) = self.indicator(n, spec, group_of);
            for (g, s) in group_results.iter_mut().zip(by_group) {
                g.indicators.push(s);
            }
            indicators.push(result);
        }
        Ok(Figures {
            categories,
            levels,
            indicators,
            groups: group_results,
        })
    }

    /// Category `c` of every tile merged, and its groups' summaries.
    fn category(
        &self,
        c: usize,
        spec: &CategorySpec,
        curve_radii_m: &[f64],
    ) -> Result<(CategoryResult, Vec<CategorySummary>)> {
        let (parts, slots) = (self.parts, self.slots);
        let mut sums = add_slots(parts, &slots.groups, self.groups.len(), |a| {
            a.categories[c].sums.clone()
        });
        // Facilities: the category's own, each counted once; per group as the tiles found.
        let facilities = &self.owned.facilities;
        let members: Vec<usize> = (0..facilities.len())
            .filter(|&i| facilities[i].category.as_deref() == Some(spec.name.as_str()))
            .collect();
        let total = members.len();
        sums[0].facilities = FacilityCounts {
            total,
            outside: members.iter().filter(|&&i| !self.owned.inside[i]).count(),
        };
        for s in sums.iter_mut().skip(1) {
            s.facilities.outside = total.saturating_sub(s.facilities.total);
        }
        let distance_model = &parts[0].categories[c].summary.distance_model;
        let summaries = sums
            .iter()
            .map(|s| {
                summarise_sums(
                    spec,
                    s,
                    distance_model,
                    self.basis.as_deref(),
                    curve_radii_m,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let (summary, by_group) =
            overall_and_groups(summaries, &format!("category \"{}\"", spec.name))?;
        let result = CategoryResult {
            summary,
            communities: gather(parts, |a| &a.categories[c].communities, &slots.communities),
            demand: slots
                .demand_from
                .iter()
                .map(|&(p, i)| parts[p].categories[c].demand[i].clone())
                .collect(),
            gaps: merged_gaps(parts, c, slots),
            service_areas: parts
                .iter()
                .flat_map(|a| a.categories[c].service_areas.iter().cloned())
                .collect(),
            sums,
        };
        Ok((result, by_group))
    }

    /// Level `l` of every tile merged, and its groups' summaries.
    fn level(&self, l: usize, spec: &LevelSpec) -> Result<(LevelResult, Vec<LevelSummary>)> {
        let (parts, slots) = (self.parts, self.slots);
        let sums = add_slots(parts, &slots.groups, self.groups.len(), |a| {
            a.levels[l].sums.clone()
        });
        let distance_model = &parts[0].levels[l].summary.distance_model;
        let summaries = sums
            .iter()
            .map(|t| {
                summarise_level(
                    spec,
                    distance_model,
                    t,
                    self.basis.as_deref(),
                    self.places_are,
                )
            })
            .collect();
        let (summary, by_group) =
            overall_and_groups(summaries, &format!("level \"{}\"", spec.name))?;
        let result = LevelResult {
            summary,
            communities: gather(parts, |a| &a.levels[l].communities, &slots.communities),
            demand: slots
                .demand_from
                .iter()
                .map(|&(p, i)| parts[p].levels[l].demand[i].clone())
                .collect(),
            sums,
        };
        Ok((result, by_group))
    }

    /// Indicator `n` of every tile merged (per community), summarised overall and per group
    /// (`group_of` each merged community's group).
    fn indicator(
        &self,
        n: usize,
        spec: &IndicatorSpec,
        group_of: &[Option<usize>],
    ) -> (IndicatorResult, Vec<IndicatorSummary>) {
        let values = gather(
            self.parts,
            |a| &a.indicators[n].communities,
            &self.slots.communities,
        );
        let by_group = (0..self.groups.len())
            .map(|g| {
                summarise_indicator(
                    spec,
                    values
                        .iter()
                        .zip(group_of)
                        .filter(|(_, gk)| **gk == Some(g))
                        .map(|(v, _)| v),
                )
            })
            .collect();
        let result = IndicatorResult {
            summary: summarise_indicator(spec, &values),
            communities: values,
        };
        (result, by_group)
    }
}

/// The merged positions of every part's features and groups.
fn merge_slots(parts: &[Analysis], groups: &[String]) -> Slots {
    let order = |index_of: &dyn Fn(&Analysis) -> Vec<usize>| -> Vec<Vec<usize>> {
        let all: BTreeSet<usize> = parts.iter().flat_map(index_of).collect();
        let at: BTreeMap<usize, usize> = all.into_iter().enumerate().map(|(k, i)| (i, k)).collect();
        parts
            .iter()
            .map(|a| index_of(a).iter().map(|i| at[i]).collect())
            .collect()
    };
    let communities = order(&|a| a.communities.iter().map(|c| c.index).collect());
    let demand = order(&|a| a.demand.iter().map(|d| d.index).collect());
    // A demand feature read by several tiles shows the figures of the one holding most of
    // its weight, else of its owner.
    let count = demand.iter().flatten().max().map_or(0, |m| m + 1);
    let mut demand_from: Vec<Option<(usize, usize, f64, bool)>> = vec![None; count];
    for (p, a) in parts.iter().enumerate() {
        for (i, &m) in demand[p].iter().enumerate() {
            let w = a.tiles.demand_placed[i];
            let owned = a.tiles.demand_owned.get(i).copied().unwrap_or(true);
            let better = match demand_from[m] {
                None => true,
                Some((_, _, bw, bo)) => w > bw || (w == bw && owned && !bo),
            };
            if better {
                demand_from[m] = Some((p, i, w, owned));
            }
        }
    }
    let groups = parts
        .iter()
        .map(|a| {
            a.groups
                .iter()
                .map(|g| 1 + groups.binary_search(&g.group).unwrap_or(0))
                .collect()
        })
        .collect();
    Slots {
        communities,
        demand,
        demand_from: demand_from
            .into_iter()
            .flatten()
            .map(|(p, i, _, _)| (p, i))
            .collect(),
        groups,
    }
}

/// Every part's items put at their merged positions.
fn gather<T: Clone>(
    parts: &[Analysis],
    items: impl Fn(&Analysis) -> &Vec<T>,
    at: &[Vec<usize>],
) -> Vec<T> {
    let count = at.iter().map(Vec::len).sum();
    let mut out: Vec<Option<T>> = vec![None; count];
    for (p, a) in parts.iter().enumerate() {
        for (item, &m) in items(a).iter().zip(&at[p]) {
            out[m] = Some(item.clone());
        }
    }
    out.into_iter().flatten().collect()
}

/// Per merged slot (0 the whole, then the groups), the parts' sums added.
fn add_slots<S: Default + Clone + Add>(
    parts: &[Analysis],
    group_slots: &[Vec<usize>],
    groups: usize,
    sums: impl Fn(&Analysis) -> Vec<S>,
) -> Vec<S> {
    let mut out = vec![S::default(); groups + 1];
    for (p, a) in parts.iter().enumerate() {
        for (s, part) in sums(a).iter().enumerate() {
            let m = if s == 0 { 0 } else { group_slots[p][s - 1] };
            out[m].add(part);
        }
    }
    out
}

/// Sums that add.
trait Add {
    fn add(&mut self, other: &Self);
}

fn add_option(a: &mut Option<f64>, b: Option<f64>) {
    if let Some(b) = b {
        *a.get_or_insert(0.0) += b;
    }
}

impl Add for Totals {
    fn add(&mut self, o: &Totals) {
        self.communities += o.communities;
        self.served += o.served;
        add_option(&mut self.area_m2, o.area_m2);
        add_option(&mut self.covered_m2, o.covered_m2);
        add_option(&mut self.population, o.population);
        add_option(&mut self.population_covered, o.population_covered);
    }
}

impl Add for CategorySums {
    fn add(&mut self, o: &CategorySums) {
        self.totals.add(&o.totals);
        self.gaps.kept += o.gaps.kept;
        self.gaps.dropped += o.gaps.dropped;
        self.facilities.total += o.facilities.total;
        if self.curve.len() < o.curve.len() {
            self.curve.resize(o.curve.len(), 0.0);
        }
        for (a, b) in self.curve.iter_mut().zip(&o.curve) {
            *a += b;
        }
        self.curve_basis = self.curve_basis.or(o.curve_basis);
        if let Some(c) = &o.circles {
            self.circles.get_or_insert_with(Totals::default).add(c);
        }
    }
}

impl Add for LevelTotals {
    fn add(&mut self, o: &LevelTotals) {
        self.places += o.places;
        self.complete += o.complete;
        if self.missing.len() < o.missing.len() {
            self.missing.resize(o.missing.len(), 0);
        }
        for (a, b) in self.missing.iter_mut().zip(&o.missing) {
            *a += b;
        }
        add_option(&mut self.population, o.population);
        add_option(&mut self.population_complete, o.population_complete);
        add_option(&mut self.area_m2, o.area_m2);
        add_option(&mut self.area_complete_m2, o.area_complete_m2);
    }
}

/// The gaps of category `c` from every part, owners at their merged positions, largest
/// first as a whole run orders them.
fn merged_gaps(parts: &[Analysis], c: usize, slots: &Slots) -> Vec<Gap> {
    let mut gaps: Vec<Gap> = parts
        .iter()
        .enumerate()
        .flat_map(|(p, a)| {
            a.categories[c].gaps.iter().map(move |g| Gap {
                owner: match g.owner {
                    Owner::Community(k) => Owner::Community(slots.communities[p][k]),
                    Owner::Demand(i) => Owner::Demand(slots.demand[p][i]),
                },
                ..g.clone()
            })
        })
        .collect();
    sort_gaps(&mut gaps);
    gaps
}

/// The layers read, summed over the tiles: each community and demand feature once.
fn merge_inputs(
    parts: &[Analysis],
    communities: &[Community],
    demand: &[Demand],
    owned: &OwnedFacilities,
) -> Inputs {
    let (facilities, facility_inside) = (&owned.facilities, &owned.inside);
    let first = &parts[0].inputs;
    let notes = |get: &dyn Fn(&Inputs) -> Option<&Vec<BoundaryNote>>| {
        let mut by_index: BTreeMap<usize, BoundaryNote> = BTreeMap::new();
        for a in parts {
            for n in get(&a.inputs).into_iter().flatten() {
                by_index.entry(n.index).or_insert_with(|| n.clone());
            }
        }
        by_index.into_values().collect::<Vec<_>>()
    };
    let community_inputs = first.communities.as_ref().map(|c| {
        let skipped = notes(&|i| i.communities.as_ref().map(|c| &c.skipped));
        CommunityInputs {
            path: c.path.clone(),
            crs: c.crs.clone(),
            crs_source: c.crs_source,
            features: communities.len() + skipped.len(),
            name_field: c.name_field.clone(),
            repaired: notes(&|i| i.communities.as_ref().map(|c| &c.repaired)),
            skipped,
            population: communities.iter().map(|c| c.population).sum(),
            households: communities.iter().map(|c| c.households).sum(),
            area_m2: parts
                .iter()
                .filter_map(|a| a.inputs.communities.as_ref().map(|c| c.area_m2))
                .sum(),
        }
    });
    let demand_inputs = first.demand.as_ref().map(|d| {
        let skipped = notes(&|i| i.demand.as_ref().map(|d| &d.skipped));
        DemandInputs {
            path: d.path.clone(),
            crs: d.crs.clone(),
            crs_source: d.crs_source,
            kind: d.kind,
            weight_field: d.weight_field.clone(),
            features: demand.len() + skipped.len(),
            weight: demand.iter().map(|d| d.weight).sum(),
            repaired: notes(&|i| i.demand.as_ref().map(|d| &d.repaired)),
            skipped,
            outside_communities: None,
            outside_weight: None,
        }
    });
    let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
    for f in facilities {
        if let Some(c) = &f.category {
            *by_category.entry(c.clone()).or_default() += 1;
        }
    }
    Inputs {
        communities: community_inputs,
        facilities: FacilityInputs {
            path: first.facilities.path.clone(),
            crs: first.facilities.crs.clone(),
            crs_source: first.facilities.crs_source,
            features: facilities.len(),
            by_category,
            without_category: facilities.iter().filter(|f| f.category.is_none()).count(),
            outside_communities: facility_inside.iter().filter(|&&i| !i).count(),
        },
        demand: demand_inputs,
        network: None,
    }
}

/// The street network read by every tile: the first tile's figures of the network, the
/// facilities and places off the streets added up (each tile counts those it owns), and
/// the warnings about them made again for the study.
fn merged_network(
    parts: &[Analysis],
    job: &Job,
    facilities: &[Facility],
    warnings: &mut Vec<Warning>,
) -> Option<NetworkInputs> {
    let mut network = parts[0].inputs.network.clone()?;
    network.points_unreachable = 0;
    network.facilities_unreachable.clear();
    for n in parts.iter().filter_map(|a| a.inputs.network.as_ref()) {
        network.points_unreachable += n.points_unreachable;
        for (c, far) in &n.facilities_unreachable {
            *network.facilities_unreachable.entry(c.clone()).or_default() += far;
        }
    }
    for spec in job
        .categories
        .iter()
        .filter(|c| c.reach == ReachKind::Network)
    {
        let far = network
            .facilities_unreachable
            .get(&spec.name)
            .copied()
            .unwrap_or(0);
        if far > 0 {
            warnings.push(Warning::FacilitiesOffStreets {
                category: spec.name.clone(),
                far,
                total: facilities
                    .iter()
                    .filter(|f| f.category.as_deref() == Some(spec.name.as_str()))
                    .count(),
                snap_m: network.snap_max_m,
            });
        }
    }
    Some(network)
}

/// The tiles' warnings, each once, in the order first met; those with counts (demand
/// outside the communities, facilities and people off the streets) are made again for the
/// study by the merge.
fn merged_warnings(parts: &[Analysis]) -> Vec<Warning> {
    let mut out: Vec<Warning> = Vec::new();
    for w in parts.iter().flat_map(|a| &a.warnings) {
        let per_tile = matches!(
            w,
            Warning::DemandOutside { .. }
                | Warning::FacilitiesOffStreets { .. }
                | Warning::PeopleOffStreets { .. }
        );
        if per_tile || out.contains(w) {
            continue;
        }
        out.push(w.clone());
    }
    out
}

/// The slot of a group value among the merged groups.
fn group_slot(groups: &[String], value: &Option<String>) -> Option<usize> {
    value.as_ref().and_then(|g| groups.binary_search(g).ok())
}

/// The centre of the places' extent, lon/lat.
fn study_centre(communities: &[Community], demand: &[Demand]) -> Option<Coord<f64>> {
    if communities.is_empty() {
        PlaceSpot::of(demand.iter().filter_map(demand_spot).map(|s| s.point))
    } else {
        PlaceSpot::of(communities.iter().flat_map(|c| c.boundary.coords_iter()))
    }
    .map(|s| s.point)
}
