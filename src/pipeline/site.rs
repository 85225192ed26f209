//! Siting inside the run: the category's demand and candidates handed to
//! [`crate::analysis::siting`], the answer re-checked by the coverage engine with the new sites added
//! as facilities.

use geo::{Contains, Coord, Point};

use super::{
    measure_units, per_community, reach_over, slot_totals, CategoryIndex, ReachChoice, Study,
};
use crate::analysis::demand::DemandAt;
use crate::analysis::siting::{
    self, candidate_index, Added, Candidate, CandidateSource, Goal, Problem, SitingResult,
    SitingSpec,
};
use crate::error::{Error, Result};
use crate::input::config::{Basis, CategoryRule, CategorySpec, FacilityLayer, Job, TableColumns};
use crate::input::crs::{LonLat, WorkCrs};
use crate::input::load::load_facilities;
use crate::output::text::pct;
use crate::pipeline::CategoryResult;
use crate::reach::index::FacilityIndex;

fn setting(spec: &SitingSpec, message: impl Into<String>) -> Error {
    Error::Setting {
        setting: format!("siting of \"{}\"", spec.category),
        message: message.into(),
    }
}

/// Sites one category and re-checks the answer.
pub(super) fn site(
    study: &Study<'_>,
    work: &WorkCrs,
    choice: &ReachChoice<'_>,
    job: &Job,
    spec: &SitingSpec,
    results: &[CategoryResult],
    index: &CategoryIndex<'_>,
) -> Result<SitingResult> {
    let k = job
        .categories
        .iter()
        .position(|c| c.name == spec.category)
        .ok_or_else(|| setting(spec, "no such category"))?;
    let category = &job.categories[k];
    let result = &results[k];
    check_basis(study, spec, result.summary.basis)?;
    let slot = group_slot(study, spec)?;
    let demand = demand_of(study, result, slot);
    let (population, before) = demand.totals();
    if population <= 0.0 {
        return Err(setting(spec, "nobody lives in the scope sited"));
    }
    let (candidates, outside) = candidates(study, work, spec, index, category, &demand)?;
    siting::check_ids(&candidates, &spec.candidates.describe())?;
    let mut warnings_note = Vec::new();
    if outside > 0 {
        warnings_note.push(format!(
            "{outside} candidates lie outside the study area (they may still serve it)"
        ));
    }
    let reach = reach_over(candidate_index(&candidates), choice, category.reach);
    let instance = siting::instance(&demand, &candidates, &*reach, category.radius_m);
    let useless = instance.covers.iter().filter(|c| c.is_empty()).count();
    let (goal, target) = match spec.problem {
        Problem::Add(k) => (Goal::Add(k), category.target),
        Problem::Target(t) => (Goal::Reach(t * population - before), Some(t)),
    };
    let base = SitingResult {
        candidates: candidates.len(),
        candidates_outside: outside,
        candidates_useless: useless,
        distance_model: reach.distance_model().to_string(),
        ..unsited(spec, category, target, before, population)
    };
    if let Goal::Reach(need) = goal {
        if need <= 0.0 {
            return Ok(SitingResult {
                fewest_possible: Some(0),
                note: format!(
                    "nothing to add: coverage is already {} against the target {}",
                    pct(before / population),
                    pct(target.unwrap_or(0.0))
                ),
                ..base
            });
        }
    }
    if candidates.is_empty() {
        return Err(setting(
            spec,
            format!(
                "no candidates from {}: there is nowhere to add a facility",
                spec.candidates.describe()
            ),
        ));
    }
    let solution = siting::solve::solve(&instance, goal);

    // The re-check: the coverage engine, the new sites added as facilities.
    let after = recheck(study, choice, category, index, &candidates, &solution, slot)?;
    check_recheck(spec, before + solution.covered, after, population)?;
    let added = added_sites(work, spec, &candidates, &solution, before, population)?;
    Ok(sited(
        base,
        spec,
        &solution,
        goal,
        added,
        after,
        warnings_note,
    ))
}

/// The position of the group sited among the study's groups, or none for the whole study.
fn group_slot(study: &Study<'_>, spec: &SitingSpec) -> Result<Option<usize>> {
    Ok(match &spec.group {
        None => None,
        Some(g) => Some(study.groups.iter().position(|x| x == g).ok_or_else(|| {
            setting(
                spec,
                format!(
                    "no group \"{g}\"; the groups are {}",
                    if study.groups.is_empty() {
                        "none (no group field)".to_string()
                    } else {
                        study.groups.join(", ")
                    }
                ),
            )
        })?),
    })
}

/// The siting before any site is added: coverage as it is, nothing chosen (the candidates'
/// counts and the distance model are the caller's to fill in).
fn unsited(
    spec: &SitingSpec,
    category: &CategorySpec,
    target: Option<f64>,
    before: f64,
    population: f64,
) -> SitingResult {
    SitingResult {
        category: spec.category.clone(),
        group: spec.group.clone(),
        problem: match spec.problem {
            Problem::Add(_) => "add",
            Problem::Target(_) => "target",
        },
        add: match spec.problem {
            Problem::Add(k) => Some(k),
            Problem::Target(_) => None,
        },
        target,
        candidates_source: spec.candidates.describe(),
        candidates: 0,
        candidates_outside: 0,
        candidates_useless: 0,
        distance_model: String::new(),
        radius_m: category.radius_m,
        basis: "population".into(),
        added: Vec::new(),
        coverage_before: before / population,
        coverage_after: before / population,
        population_covered_before: before,
        population_covered_after: before,
        population,
        upper_bound_population: before,
        gap: 0.0,
        fewest_possible: None,
        proven_optimal: true,
        target_reachable: true,
        swaps: 0,
        note: String::new(),
    }
}

/// Errors when the coverage engine's count `after` disagrees with the optimiser's `claimed`.
fn check_recheck(spec: &SitingSpec, claimed: f64, after: f64, population: f64) -> Result<()> {
    if (after - claimed).abs() > 1e-9 * population.max(1.0) {
        return Err(Error::Setting {
            setting: format!("siting of \"{}\"", spec.category),
            message: format!(
                "the re-check disagrees: the optimiser counts {claimed} people covered, the \
                 coverage engine {after}; this is a bug, please report it"
            ),
        });
    }
    Ok(())
}

/// The chosen sites in order, each with the people it adds and the coverage so far.
fn added_sites(
    work: &WorkCrs,
    spec: &SitingSpec,
    candidates: &[Candidate],
    solution: &siting::Solution,
    before: f64,
    population: f64,
) -> Result<Vec<Added>> {
    let lonlat = |id: &str, c: Coord<f64>| -> Result<Coord<f64>> {
        let mut p = Point::from(c);
        work.unproject(&mut p).map_err(|e| {
            setting(
                spec,
                format!("site \"{id}\" has no longitude/latitude: {e}"),
            )
        })?;
        Ok(p.0)
    };
    let mut running = before;
    let mut added = Vec::with_capacity(solution.chosen.len());
    for (rank, &(c, gain)) in solution.chosen.iter().enumerate() {
        running += gain;
        added.push(Added {
            rank: rank + 1,
            id: candidates[c].id.clone(),
            population_added: gain,
            coverage: running / population,
            lonlat: lonlat(&candidates[c].id, candidates[c].at)?,
            at: candidates[c].at,
        });
    }
    Ok(added)
}

/// The siting solved: `base` with the sites `added`, the re-checked coverage `after`, the
/// bounds, and the note (after the `warnings_note` so far).
fn sited(
    base: SitingResult,
    spec: &SitingSpec,
    solution: &siting::Solution,
    goal: Goal,
    added: Vec<Added>,
    after: f64,
    mut warnings_note: Vec<String>,
) -> SitingResult {
    let (before, population) = (base.population_covered_before, base.population);
    let upper = (before + solution.bound).max(after);
    let reachable = solution.reached;
    let proven = solution.proven_optimal(goal);
    let note = note(
        spec,
        solution,
        after / population,
        base.target,
        reachable,
        proven,
    );
    warnings_note.push(note);
    SitingResult {
        added,
        coverage_after: after / population,
        population_covered_after: after,
        upper_bound_population: match goal {
            Goal::Add(_) => upper,
            Goal::Reach(_) => after,
        },
        gap: match goal {
            Goal::Add(_) => upper - after,
            Goal::Reach(_) => 0.0,
        },
        fewest_possible: match goal {
            Goal::Reach(_) => Some(solution.fewest_bound),
            Goal::Add(_) => None,
        },
        proven_optimal: proven,
        target_reachable: reachable,
        swaps: solution.swaps,
        note: warnings_note.join("; "),
        ..base
    }
}

fn note(
    spec: &SitingSpec,
    solution: &siting::Solution,
    after: f64,
    target: Option<f64>,
    reachable: bool,
    proven: bool,
) -> String {
    let n = solution.chosen.len();
    let (sites, bring) = if n == 1 {
        ("1 new site".to_string(), "brings")
    } else {
        (format!("{n} new sites"), "bring")
    };
    let proof = if proven {
        "proven optimal"
    } else {
        "not proven optimal (see the bound)"
    };
    match spec.problem {
        Problem::Add(k) if n < k => format!(
            "{sites} (of {k} asked for: no other candidate adds anyone) {bring} coverage to {} \
             ({proof})",
            pct(after)
        ),
        Problem::Add(_) => format!("{sites} {bring} coverage to {} ({proof})", pct(after)),
        Problem::Target(t) if reachable => format!(
            "{sites} {bring} coverage to {}, meeting the target {}; no fewer than {} can ({})",
            pct(after),
            pct(t),
            solution.fewest_bound,
            if proven { "proven" } else { "a bound" }
        ),
        Problem::Target(t) => format!(
            "the target {} cannot be reached with these candidates: all {n} useful ones \
             together bring coverage to {}",
            pct(target.unwrap_or(t)),
            pct(after)
        ),
    }
}

/// Siting counts people at points; other bases have no additive weight per place.
fn check_basis(study: &Study<'_>, spec: &SitingSpec, basis: Basis) -> Result<()> {
    let points = study.has_demand()
        && study
            .placed
            .units
            .iter()
            .all(|u| matches!(u.at, DemandAt::Point(_)));
    if !points {
        return Err(setting(
            spec,
            "siting counts people at demand points: give a demand layer of points (buildings, \
             address points) with kind = \"points\"",
        ));
    }
    if basis != Basis::Population {
        return Err(setting(
            spec,
            format!(
                "the category's basis is {}, but siting maximises the people within reach: \
                 set basis = \"population\"",
                basis
            ),
        ));
    }
    Ok(())
}

/// The category's demand units: position, weight, reached by an existing facility, in scope.
fn demand_of(study: &Study<'_>, result: &CategoryResult, slot: Option<usize>) -> siting::Demand {
    let mut d = siting::Demand::default();
    for unit in &study.placed.units {
        let DemandAt::Point(c) = unit.at else {
            continue;
        };
        d.at.push(c);
        d.weight.push(unit.weight);
        d.covered.push(result.demand[unit.feature].covered >= 1.0);
        d.in_scope
            .push(slot.is_none_or(|g| study.unit_group(unit) == Some(g)));
    }
    d
}

/// The candidates and how many lie outside the study area.
fn candidates(
    study: &Study<'_>,
    work: &WorkCrs,
    spec: &SitingSpec,
    index: &CategoryIndex<'_>,
    category: &CategorySpec,
    demand: &siting::Demand,
) -> Result<(Vec<Candidate>, usize)> {
    match &spec.candidates {
        CandidateSource::Gaps => {
            let mut out = Vec::new();
            let mut k = 0;
            for unit in &study.placed.units {
                if let DemandAt::Point(c) = unit.at {
                    if demand.in_scope[k] && !demand.covered[k] {
                        out.push(Candidate {
                            id: study.demand[unit.feature].id.clone(),
                            at: c,
                        });
                    }
                    k += 1;
                }
            }
            Ok((out, 0))
        }
        CandidateSource::Grid(spacing) => Ok((grid(study, index, category, demand, *spacing), 0)),
        CandidateSource::File(path) => from_file(study, work, spec, path),
    }
}

/// Cell centres `spacing` apart over the scope's open demand, inside a community and out of
/// the existing facilities' reach.
fn grid(
    study: &Study<'_>,
    index: &CategoryIndex<'_>,
    category: &CategorySpec,
    demand: &siting::Demand,
    spacing: f64,
) -> Vec<Candidate> {
    let open: Vec<Coord<f64>> = (0..demand.at.len())
        .filter(|&i| demand.in_scope[i] && !demand.covered[i])
        .map(|i| demand.at[i])
        .collect();
    let Some(first) = open.first() else {
        return Vec::new();
    };
    let (mut x0, mut y0, mut x1, mut y1) = (first.x, first.y, first.x, first.y);
    for c in &open {
        x0 = x0.min(c.x);
        y0 = y0.min(c.y);
        x1 = x1.max(c.x);
        y1 = y1.max(c.y);
    }
    // The cells reach a radius beyond the open demand: a site there still serves it.
    let r = category.radius_m;
    let (x0, y0) = (
        ((x0 - r) / spacing).floor() * spacing,
        ((y0 - r) / spacing).floor() * spacing,
    );
    let cols = ((x1 + r - x0) / spacing).ceil() as i64 + 1;
    let rows = ((y1 + r - y0) / spacing).ceil() as i64 + 1;
    let mut out = Vec::new();
    for j in 0..rows {
        for i in 0..cols {
            let c = Coord {
                x: x0 + (i as f64 + 0.5) * spacing,
                y: y0 + (j as f64 + 0.5) * spacing,
            };
            let inside = study
                .places
                .iter()
                .any(|p| p.boundary.contains(&Point::from(c)));
            if !inside || index.reach.nearest_m(c).is_some_and(|d| d <= r) {
                continue;
            }
            out.push(Candidate {
                id: format!(
                    "grid-{}-{}",
                    (c.x / spacing).floor(),
                    (c.y / spacing).floor()
                ),
                at: c,
            });
        }
    }
    out
}

/// Candidates from a point layer, any format the facility reader takes.
fn from_file(
    study: &Study<'_>,
    work: &WorkCrs,
    spec: &SitingSpec,
    path: &std::path::Path,
) -> Result<(Vec<Candidate>, usize)> {
    // Every feature is a candidate: one rule that takes them all.
    let layer = FacilityLayer {
        path: path.to_path_buf(),
        crs: spec.candidates_crs.clone(),
        id_field: spec.candidates_id.clone(),
        category_field: "category".into(),
        rules: vec![CategoryRule {
            category: spec.category.clone(),
            when: Default::default(),
        }],
        community_field: None,
        value_fields: Vec::new(),
        table: TableColumns::default(),
    };
    let loaded = load_facilities(&layer)?;
    let lonlat = LonLat::from(&loaded.crs)?;
    let mut out = Vec::with_capacity(loaded.features.len());
    let mut outside = 0;
    for f in &loaded.features {
        let fail = |problem| Error::Feature {
            path: path.to_path_buf(),
            index: f.index,
            id: Some(f.id.clone()),
            problem,
        };
        // A candidate is one place: its first site (a polygon's inside point).
        let Some(&site) = f.sites.first() else {
            continue;
        };
        let ll = lonlat.convert(site).map_err(fail)?;
        let mut p = Point::from(ll);
        work.project(&mut p).map_err(fail)?;
        // Without communities there is no study area to be outside of.
        if !study.places.is_empty() && !study.places.iter().any(|pl| pl.boundary.contains(&p)) {
            outside += 1;
        }
        out.push(Candidate {
            id: f.id.clone(),
            at: p.0,
        });
    }
    Ok((out, outside))
}

/// The scope's people covered once the chosen sites are built, by the coverage engine.
fn recheck(
    study: &Study<'_>,
    choice: &ReachChoice<'_>,
    category: &CategorySpec,
    index: &CategoryIndex<'_>,
    candidates: &[Candidate],
    solution: &siting::Solution,
    slot: Option<usize>,
) -> Result<f64> {
    let existing = index
        .members
        .iter()
        .enumerate()
        .flat_map(|(k, &i)| study.sites[i].iter().map(move |&c| (c, k)));
    let n = index.members.len();
    let added = solution
        .chosen
        .iter()
        .enumerate()
        .map(|(k, &(c, _))| (candidates[c].at, n + k));
    let reach = reach_over(
        FacilityIndex::new(existing.chain(added)),
        choice,
        category.reach,
    );
    let (coverages, units) = measure_units(study, category, &*reach)?;
    let per_community = per_community(study, category, &coverages, &units);
    let totals = slot_totals(study, &per_community, &coverages, &units);
    let t = &totals[slot.map_or(0, |g| g + 1)];
    Ok(t.population_covered.unwrap_or(0.0))
}
