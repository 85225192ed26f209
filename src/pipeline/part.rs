//! A tile's partial result on disk: what `lifecircle run --tile K/N` writes and
//! `lifecircle merge` reads.
//!
//! A part holds what the tile measured, by feature position: each community's and demand
//! feature's figures, the gaps and service areas (lon/lat), the sums the summaries are made
//! of, and the boundary notes. It does not hold the features themselves: the merge reads
//! the layers again (the configuration is in the part) and takes them from there, so a part
//! stays small and the merge's inputs are the run's. The configuration, its folder and `N`
//! must agree across the parts, and every tile from 1 to N must be there exactly once.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use geo::LineString;
use serde::{Deserialize, Serialize};

use super::*;
use crate::input::config::{Config, LevelSpec};

/// The format of a part; a part of another format is refused.
pub const PART_FORMAT: u32 = 1;

/// One tile's partial result, as written to `part-K-of-N.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    /// [`PART_FORMAT`].
    pub format: u32,
    /// The lifecircle version that wrote it.
    pub version: String,
    /// The tile, 1-based.
    pub tile: usize,
    /// The number of tiles.
    pub tiles: usize,
    /// The configuration as run (command-line overrides applied).
    pub config: Config,
    /// The folder its relative paths start from (absolute).
    pub base: PathBuf,
    /// Whether the tile made gaps and service areas (some product shows them), which the
    /// merge needs to draw them.
    pub areas: bool,
    /// What the tile measured; `None` when it holds no place.
    pub result: Option<PartResult>,
}

impl Part {
    /// The file name of tile `tile` of `tiles`.
    pub fn file_name(tile: usize, tiles: usize) -> String {
        format!("part-{tile}-of-{tiles}.json")
    }

    /// Writes the part into `dir` (created if missing) through a temporary file, so a
    /// part on disk is always whole; returns its path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        let fail = |path: &Path, e: std::io::Error| Error::Write {
            path: path.to_path_buf(),
            source: e,
        };
        fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
        let path = dir.join(Part::file_name(self.tile, self.tiles));
        let temp = dir.join(format!(".{}.tmp", Part::file_name(self.tile, self.tiles)));
        let file = fs::File::create(&temp).map_err(|e| fail(&temp, e))?;
        let mut out = BufWriter::new(file);
        serde_json::to_writer(&mut out, self).map_err(|e| fail(&temp, std::io::Error::other(e)))?;
        out.flush().map_err(|e| fail(&temp, e))?;
        drop(out);
        fs::rename(&temp, &path).map_err(|e| fail(&path, e))?;
        Ok(path)
    }

    /// Reads a part.
    pub fn read(path: &Path) -> Result<Part> {
        let bad = |message: String| Error::Part {
            path: path.to_path_buf(),
            message,
        };
        let file = fs::File::open(path).map_err(|e| bad(format!("cannot open it: {e}")))?;
        let part: Part = serde_json::from_reader(BufReader::new(file)).map_err(|e| {
            bad(format!(
                "not a lifecircle partial result, or written by another version ({e})"
            ))
        })?;
        if part.format != PART_FORMAT {
            return Err(bad(format!(
                "format {} (this lifecircle reads format {PART_FORMAT}): merge with the \
                 lifecircle that wrote it",
                part.format
            )));
        }
        if part.tile == 0 || part.tile > part.tiles {
            return Err(bad(format!("tile {} of {}", part.tile, part.tiles)));
        }
        Ok(part)
    }
}

impl PartResult {
    /// The places the tile measured: communities, else demand features.
    pub fn places(&self) -> usize {
        if self.communities.is_empty() {
            self.demand.len()
        } else {
            self.communities.len()
        }
    }
}

/// What a tile measured: [`Analysis`] without the features, which the merge reads again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartResult {
    work_crs: String,
    distance_model: String,
    zones: Vec<String>,
    /// File positions of the communities, demand features and facilities measured.
    communities: Vec<usize>,
    demand: Vec<usize>,
    facilities: Vec<usize>,
    demand_placed: Vec<f64>,
    demand_owned: Vec<bool>,
    facility_inside: Vec<bool>,
    facility_owned: Vec<bool>,
    inside_elsewhere: Vec<usize>,
    inputs: PartInputs,
    categories: Vec<PartCategory>,
    levels: Vec<PartLevel>,
    indicators: Vec<Vec<IndicatorAt>>,
    groups: Vec<String>,
    boundary_warnings: Vec<BoundaryWarning>,
    streets: Vec<LineString<f64>>,
}

/// What the tile read, beyond the features: what the merge sums up of the layers.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PartInputs {
    community_area_m2: Option<f64>,
    /// Communities repaired and left out.
    community_notes: [Vec<Note>; 2],
    /// Demand features repaired and left out.
    demand_notes: [Vec<Note>; 2],
    network: Option<NetworkInputs>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PartCategory {
    distance_model: String,
    communities: Vec<CommunityCoverage>,
    demand: Vec<DemandCoverage>,
    gaps: Vec<Gap>,
    service_areas: Vec<ServiceAreaOut>,
    sums: Vec<CategorySums>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PartLevel {
    distance_model: String,
    communities: Vec<LevelAt>,
    demand: Vec<LevelAt>,
    sums: Vec<LevelTotals>,
}

/// A [`BoundaryNote`] on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Note {
    index: usize,
    id: String,
    problems: Vec<WireDefect>,
    area_m2_as_drawn: f64,
    area_m2_used: Option<f64>,
}

/// A [`Warning::Boundary`] on disk: the only warning a tile makes of its own (the others
/// come from reading the layers, which the merge does again, or are counts the merge makes
/// again for the study).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BoundaryWarning {
    path: String,
    index: usize,
    id: String,
    problems: Vec<WireDefect>,
    used_m2: Option<f64>,
    drawn_m2: f64,
}

/// A [`Defect`] on disk (`summary.json` writes defects as sentences).
#[derive(Debug, Clone, Serialize, Deserialize)]
enum WireDefect {
    DuplicateVertices,
    ShortRings(usize),
    NoArea,
    ZeroArea,
    ThreeD,
    Unclosed,
    Invalid(String),
    RepairFailed(String),
}

impl From<&Defect> for WireDefect {
    fn from(d: &Defect) -> WireDefect {
        match d {
            Defect::DuplicateVertices => WireDefect::DuplicateVertices,
            Defect::ShortRings(n) => WireDefect::ShortRings(*n),
            Defect::NoArea => WireDefect::NoArea,
            Defect::ZeroArea => WireDefect::ZeroArea,
            Defect::ThreeD => WireDefect::ThreeD,
            Defect::Unclosed => WireDefect::Unclosed,
            Defect::Invalid(s) => WireDefect::Invalid(s.clone()),
            Defect::RepairFailed(s) => WireDefect::RepairFailed(s.clone()),
        }
    }
}

impl From<WireDefect> for Defect {
    fn from(d: WireDefect) -> Defect {
        match d {
            WireDefect::DuplicateVertices => Defect::DuplicateVertices,
            WireDefect::ShortRings(n) => Defect::ShortRings(n),
            WireDefect::NoArea => Defect::NoArea,
            WireDefect::ZeroArea => Defect::ZeroArea,
            WireDefect::ThreeD => Defect::ThreeD,
            WireDefect::Unclosed => Defect::Unclosed,
            WireDefect::Invalid(s) => Defect::Invalid(s),
            WireDefect::RepairFailed(s) => Defect::RepairFailed(s),
        }
    }
}

fn notes_out(notes: &[BoundaryNote]) -> Vec<Note> {
    notes
        .iter()
        .map(|n| Note {
            index: n.index,
            id: n.id.clone(),
            problems: n.problems.iter().map(WireDefect::from).collect(),
            area_m2_as_drawn: n.area_m2_as_drawn,
            area_m2_used: n.area_m2_used,
        })
        .collect()
}

fn notes_in(notes: Vec<Note>) -> Vec<BoundaryNote> {
    notes
        .into_iter()
        .map(|n| BoundaryNote {
            index: n.index,
            id: n.id,
            problems: n.problems.into_iter().map(Defect::from).collect(),
            area_m2_as_drawn: n.area_m2_as_drawn,
            area_m2_used: n.area_m2_used,
        })
        .collect()
}

impl PartResult {
    /// A tile's result, its features by file position.
    pub fn of(a: &Analysis) -> PartResult {
        let community_notes = a
            .inputs
            .communities
            .as_ref()
            .map(|c| [notes_out(&c.repaired), notes_out(&c.skipped)])
            .unwrap_or_default();
        let demand_notes = a
            .inputs
            .demand
            .as_ref()
            .map(|d| [notes_out(&d.repaired), notes_out(&d.skipped)])
            .unwrap_or_default();
        PartResult {
            work_crs: a.work_crs.to_string(),
            distance_model: a.distance_model.clone(),
            zones: a.tiles.zones.iter().map(|z| z.to_string()).collect(),
            communities: a.communities.iter().map(|c| c.index).collect(),
            demand: a.demand.iter().map(|d| d.index).collect(),
            facilities: a.facilities.iter().map(|f| f.index).collect(),
            demand_placed: a.tiles.demand_placed.clone(),
            demand_owned: a.tiles.demand_owned.clone(),
            facility_inside: a.tiles.facility_inside.clone(),
            facility_owned: a.tiles.facility_owned.clone(),
            inside_elsewhere: a.tiles.inside_elsewhere.clone(),
            inputs: PartInputs {
                community_area_m2: a.inputs.communities.as_ref().map(|c| c.area_m2),
                community_notes,
                demand_notes,
                network: a.inputs.network.clone(),
            },
            categories: a
                .categories
                .iter()
                .map(|c| PartCategory {
                    distance_model: c.summary.distance_model.clone(),
                    communities: c.communities.clone(),
                    demand: c.demand.clone(),
                    gaps: c.gaps.clone(),
                    service_areas: c.service_areas.clone(),
                    sums: c.sums.clone(),
                })
                .collect(),
            levels: a
                .levels
                .iter()
                .map(|l| PartLevel {
                    distance_model: l.summary.distance_model.clone(),
                    communities: l.communities.clone(),
                    demand: l.demand.clone(),
                    sums: l.sums.clone(),
                })
                .collect(),
            indicators: a.indicators.iter().map(|i| i.communities.clone()).collect(),
            groups: a.groups.iter().map(|g| g.group.clone()).collect(),
            boundary_warnings: a
                .warnings
                .iter()
                .filter_map(|w| match w {
                    Warning::Boundary {
                        path,
                        index,
                        id,
                        problems,
                        used_m2,
                        drawn_m2,
                    } => Some(BoundaryWarning {
                        path: path.clone(),
                        index: *index,
                        id: id.clone(),
                        problems: problems.iter().map(WireDefect::from).collect(),
                        used_m2: *used_m2,
                        drawn_m2: *drawn_m2,
                    }),
                    _ => None,
                })
                .collect(),
            streets: a.streets.clone(),
        }
    }

    /// The tile's result again, with its features taken from the study read again
    /// (`loaded`).
    fn into_analysis(self, job: &Job, loaded: &Loaded, source: &Path) -> Result<Analysis> {
        let bad = |message: String| Error::Part {
            path: source.to_path_buf(),
            message,
        };
        let (communities, demand, facilities) = self.features(loaded).map_err(|(what, i)| {
            bad(format!(
                "it names {what} #{i}, which the layer no longer has: the inputs changed \
                 since the tiles ran; run them again"
            ))
        })?;
        let lens = [
            self.demand_placed.len() == demand.len(),
            self.demand_owned.len() == demand.len(),
            self.facility_inside.len() == facilities.len(),
            self.facility_owned.len() == facilities.len(),
            self.categories.len() == job.categories.len(),
            self.levels.len() == job.levels.len(),
            self.indicators.len() == job.indicators.len(),
        ];
        if lens.contains(&false) {
            return Err(bad(
                "its figures do not match its features or the configuration".into(),
            ));
        }
        let work_crs = self.work_crs.parse::<Crs>()?;
        let zones = self
            .zones
            .iter()
            .map(|z| z.parse::<Crs>())
            .collect::<Result<Vec<_>>>()?;
        let curve = &job.curve_radii_m;
        let categories = job
            .categories
            .iter()
            .zip(self.categories)
            .map(|(spec, c)| c.into_result(spec, curve))
            .collect::<Result<Vec<_>>>()?;
        let levels = job
            .levels
            .iter()
            .zip(self.levels)
            .map(|(spec, l)| l.into_result(spec))
            .collect();
        let indicators = job
            .indicators
            .iter()
            .zip(self.indicators)
            .map(|(spec, values)| IndicatorResult {
                summary: summarise_indicator(spec, &values),
                communities: values,
            })
            .collect();
        let mut warnings = loaded.warnings.clone();
        warnings.extend(
            self.boundary_warnings
                .into_iter()
                .map(|w| Warning::Boundary {
                    path: w.path,
                    index: w.index,
                    id: w.id,
                    problems: w.problems.into_iter().map(Defect::from).collect(),
                    used_m2: w.used_m2,
                    drawn_m2: w.drawn_m2,
                }),
        );
        let (group_field, group_label) = match (&job.communities, &job.demand) {
            (Some(c), _) => (c.group_field.clone(), c.group_label.clone()),
            (None, Some(d)) => (d.group_field.clone(), d.group_label.clone()),
            (None, None) => (None, None),
        };
        Ok(Analysis {
            work_crs,
            distance_model: self.distance_model,
            inputs: self.inputs.into_inputs(job, loaded),
            communities,
            demand,
            facilities,
            categories,
            levels,
            indicators,
            groups: self
                .groups
                .into_iter()
                .map(|group| GroupResult {
                    group,
                    categories: Vec::new(),
                    levels: Vec::new(),
                    indicators: Vec::new(),
                })
                .collect(),
            group_field,
            group_label,
            warnings,
            streets: self.streets,
            siting: Vec::new(),
            tiles: TileFacts {
                zones,
                demand_placed: self.demand_placed,
                demand_owned: self.demand_owned,
                facility_inside: self.facility_inside,
                facility_owned: self.facility_owned,
                inside_elsewhere: self.inside_elsewhere,
            },
        })
    }

    /// The tile's communities, demand features and facilities, taken from the layers read
    /// again by file position; what is missing there (kind, position) if the inputs changed.
    #[allow(clippy::type_complexity)]
    fn features(
        &self,
        loaded: &Loaded,
    ) -> std::result::Result<(Vec<Community>, Vec<Demand>, Vec<Facility>), (&'static str, usize)>
    {
        fn pick<T: Clone>(
            features: &[T],
            index_of: impl Fn(&T) -> usize,
            wanted: &[usize],
            what: &'static str,
        ) -> std::result::Result<Vec<T>, (&'static str, usize)> {
            let at: BTreeMap<usize, usize> = features
                .iter()
                .enumerate()
                .map(|(k, f)| (index_of(f), k))
                .collect();
            wanted
                .iter()
                .map(|i| at.get(i).map(|&k| features[k].clone()).ok_or((what, *i)))
                .collect()
        }
        let communities = match &loaded.communities {
            Some(l) => pick(&l.features, |c| c.index, &self.communities, "community")?,
            None => Vec::new(),
        };
        let demand = match &loaded.demand {
            Some(l) => pick(&l.features, |d| d.index, &self.demand, "demand feature")?,
            None => Vec::new(),
        };
        let facilities = pick(
            &loaded.facilities.features,
            |f| f.index,
            &self.facilities,
            "facility",
        )?;
        Ok((communities, demand, facilities))
    }
}

impl PartInputs {
    /// What the tile read, with the layers' names from the study read again; the counts
    /// are the merge's to make.
    fn into_inputs(self, job: &Job, loaded: &Loaded) -> Inputs {
        let layer = |l: &Layer<Community>| {
            (
                l.path.display().to_string(),
                l.crs.to_string(),
                l.crs_source.as_str(),
            )
        };
        let [repaired, skipped] = self.community_notes;
        let community_inputs = loaded.communities.as_ref().map(|l| {
            let (path, crs, crs_source) = layer(l);
            CommunityInputs {
                path,
                crs,
                crs_source,
                features: 0,
                name_field: job
                    .communities
                    .as_ref()
                    .map(|c| c.name_field.clone())
                    .unwrap_or_default(),
                repaired: notes_in(repaired),
                skipped: notes_in(skipped),
                population: None,
                households: None,
                area_m2: self.community_area_m2.unwrap_or(0.0),
            }
        });
        let [d_repaired, d_skipped] = self.demand_notes;
        let demand_inputs = loaded.demand.as_ref().map(|l| DemandInputs {
            path: l.path.display().to_string(),
            crs: l.crs.to_string(),
            crs_source: l.crs_source.as_str(),
            kind: l
                .features
                .first()
                .map_or(DemandKind::Points, |d| d.shape.kind()),
            weight_field: job
                .demand
                .as_ref()
                .map(|d| d.weight_field.clone())
                .unwrap_or_default(),
            features: 0,
            weight: 0.0,
            repaired: notes_in(d_repaired),
            skipped: notes_in(d_skipped),
            outside_communities: None,
            outside_weight: None,
        });
        let f = &loaded.facilities;
        Inputs {
            communities: community_inputs,
            facilities: FacilityInputs {
                path: f.path.display().to_string(),
                crs: f.crs.to_string(),
                crs_source: f.crs_source.as_str(),
                features: 0,
                by_category: BTreeMap::new(),
                without_category: 0,
                outside_communities: 0,
            },
            demand: demand_inputs,
            network: self.network,
        }
    }
}

impl PartCategory {
    /// The category's result again; its summary is the merge's to make, this one is a stand-in.
    fn into_result(self, spec: &CategorySpec, curve: &[f64]) -> Result<CategoryResult> {
        let whole = self.sums.first().cloned().unwrap_or_default();
        Ok(CategoryResult {
            summary: summarise_sums(spec, &whole, &self.distance_model, None, curve)?,
            communities: self.communities,
            demand: self.demand,
            gaps: self.gaps,
            service_areas: self.service_areas,
            sums: self.sums,
        })
    }
}

impl PartLevel {
    /// The level's result again (its summary a stand-in, as the category's).
    fn into_result(self, spec: &LevelSpec) -> LevelResult {
        let whole = self.sums.first().cloned().unwrap_or_default();
        LevelResult {
            summary: summarise_level(spec, &self.distance_model, &whole, None, "communities"),
            communities: self.communities,
            demand: self.demand,
            sums: self.sums,
        }
    }
}

/// Measures tile `tile` (1-based) of `tiles` and returns its partial result; `config` and
/// `base` are what the job was made from, kept in the part for the merge.
pub fn analyse_part(
    job: &Job,
    (config, base): (&Config, &Path),
    (tile, tiles): (usize, usize),
    progress: &dyn Progress,
) -> Result<Part> {
    if tile == 0 || tile > tiles {
        return Err(Error::Setting {
            setting: "--tile".into(),
            message: format!(
                "tile {tile} of {tiles}: K in K/N counts from 1 to N (here 1 to {tiles})"
            ),
        });
    }
    let loaded = load_study(job, progress)?;
    let plan = loaded.plan(job, tiles);
    let has_places = plan
        .tiles
        .get(tile - 1)
        .is_some_and(|pieces| pieces.iter().any(|&p| !plan.pieces[p].places.is_empty()));
    let result = if has_places {
        let analysis = tiled::analyse_tile(
            job,
            &StraightLine::default(),
            progress,
            loaded,
            &plan,
            tile - 1,
        )?;
        Some(PartResult::of(&analysis))
    } else {
        progress.end();
        None
    };
    Ok(Part {
        format: PART_FORMAT,
        version: env!("CARGO_PKG_VERSION").to_string(),
        tile,
        tiles,
        config: config.clone(),
        base: base.to_path_buf(),
        areas: job.products.shows_areas(),
        result,
    })
}

/// The parts found at `paths`: part files, or folders holding `part-*-of-*.json` files.
pub fn find_parts(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = fs::read_dir(path).map_err(|e| Error::Part {
                path: path.clone(),
                message: format!("cannot list the folder: {e}"),
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("part-") && n.ends_with(".json"))
                })
                .collect();
            if found.is_empty() {
                return Err(Error::Part {
                    path: path.clone(),
                    message: "holds no part-K-of-N.json: is this the folder a tile wrote?".into(),
                });
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Reads the parts, checks they are the N tiles of one run, and returns them in tile
/// order.
pub fn read_parts(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Part)>> {
    let mut parts: Vec<(PathBuf, Part)> = Vec::with_capacity(paths.len());
    for path in paths {
        parts.push((path.clone(), Part::read(path)?));
    }
    let Some((first_path, first)) = parts.first() else {
        return Err(Error::Setting {
            setting: "merge".into(),
            message: "no part given: name the folders the tiles wrote".into(),
        });
    };
    let config = serde_json::to_string(&first.config).unwrap_or_default();
    for (path, p) in &parts[1..] {
        let differs = |what: &str| Error::Part {
            path: path.clone(),
            message: format!(
                "{what} differs from that of {}: parts of different runs cannot be merged",
                first_path.display()
            ),
        };
        if p.tiles != first.tiles {
            return Err(Error::Part {
                path: path.clone(),
                message: format!(
                    "tile {} of {}, but {} is a tile of {}: parts of different splits cannot \
                     be merged",
                    p.tile,
                    p.tiles,
                    first_path.display(),
                    first.tiles
                ),
            });
        }
        if serde_json::to_string(&p.config).unwrap_or_default() != config {
            return Err(differs("its configuration"));
        }
        if p.base != first.base {
            return Err(differs("its configuration's folder"));
        }
        if p.version != first.version {
            return Err(differs("the lifecircle version that wrote it"));
        }
    }
    let mut by_tile: BTreeMap<usize, &Path> = BTreeMap::new();
    for (path, p) in &parts {
        if let Some(other) = by_tile.insert(p.tile, path) {
            return Err(Error::Part {
                path: path.clone(),
                message: format!("tile {} of {} is also {}", p.tile, p.tiles, other.display()),
            });
        }
    }
    let missing: Vec<String> = (1..=first.tiles)
        .filter(|k| !by_tile.contains_key(k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Error::Setting {
            setting: "merge".into(),
            message: format!(
                "{} {} of {} {} missing: a merge needs every tile, it never merges part of a \
                 study (run {} with --tile K/{})",
                if missing.len() == 1 { "tile" } else { "tiles" },
                missing.join(", "),
                first.tiles,
                if missing.len() == 1 { "is" } else { "are" },
                if missing.len() == 1 { "it" } else { "them" },
                first.tiles
            ),
        });
    }
    parts.sort_by_key(|(_, p)| p.tile);
    Ok(parts)
}

/// Merges the parts of a run into the study's result: reads the layers again, puts each
/// tile's figures on its features and adds the tiles up.
pub fn merge_parts(
    job: &Job,
    parts: Vec<(PathBuf, Part)>,
    progress: &dyn Progress,
) -> Result<Analysis> {
    let loaded = load_study(job, progress)?;
    progress.end();
    progress.begin("merge", parts.len() as u64);
    let mut analyses = Vec::with_capacity(parts.len());
    for (path, part) in parts {
        if let Some(result) = part.result {
            analyses.push(result.into_analysis(job, &loaded, &path)?);
        }
        progress.advance(1);
    }
    let merged = tiled::merge(job, analyses);
    progress.end();
    merged
}
