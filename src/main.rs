//! The `lifecircle` command: a switchboard over the library.
//!
//! Exit codes: 0 success, 1 error, 2 usage error, 3 a target missed with `--fail-on-target`,
//! 130 interrupted (SIGINT or SIGTERM).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use lifecircle::config::Lang;
use lifecircle::config::{
    AnalysisConfig, CategoryConfig, CategoryRule, CommunitiesConfig, Config, CurveConfig,
    DemandConfig, FacilitiesConfig, NetworkConfig, NetworkLayer, OutputConfig, SitingConfig,
};
use lifecircle::validate::InvalidPolicy;
use lifecircle::{Basis, Job};

#[derive(Parser, Debug)]
#[command(
    name = "lifecircle",
    version,
    about = "15-minute life circles: can every resident reach everyday facilities on foot, and where not?",
    long_about = "lifecircle measures, for each facility category, how much of every community \
lies within walking reach (a straight-line circle of the given radius) of a facility, judges the \
result against a planning target, and maps the gaps.\n\n\
Exit codes: 0 success, 1 error, 2 usage error, 3 a target missed (with --fail-on-target), \
130 interrupted.",
    after_help = "Examples:\n  lifecircle run examples/tianjin-plan.toml\n  lifecircle cover --communities data/teda/communities.geojson \\\n      --facilities data/teda/facilities.geojson --category market --radius 1000 --target 0.95 --out out/"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,

    /// Print nothing but errors and warnings (no table, no progress bars).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,

    /// Also say how long each step took.
    #[arg(short, long, global = true)]
    verbose: bool,

    /// Report progress as plain lines on stderr instead of bars, for programs that run
    /// lifecircle (the QGIS plugin): "lifecircle: progress: <step> <done>/<total>", a line
    /// each time a step begins, moves a whole percent, or ends.
    #[arg(long, global = true, conflicts_with = "quiet")]
    progress_lines: bool,

    #[command(flatten)]
    products: ProductArgs,
}

/// Settings of the finished products, overriding `[output]`.
#[derive(Args, Debug, Default)]
struct ProductArgs {
    /// Language of the report and the maps (default: `[output] lang`, else en).
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    lang: Option<LangArg>,

    /// Title of the report and the maps.
    #[arg(long, global = true, value_name = "TEXT")]
    title: Option<String>,

    /// Resolution of the PNG maps in dots per inch at A4 width (300 for print; default 150).
    #[arg(long, global = true, value_name = "DPI")]
    map_dpi: Option<f64>,

    /// Do not write the GeoJSON layers and their .qml styles. With --no-gpkg --no-maps
    /// --no-report only the summaries are written, and service areas are not dissolved.
    #[arg(long, global = true)]
    no_layers: bool,

    /// Do not write results.gpkg (nor the QGIS project, which reads it).
    #[arg(long, global = true)]
    no_gpkg: bool,

    /// Do not store a QGIS project in results.gpkg nor write <title>.qgs beside it.
    #[arg(long, global = true)]
    no_qgis_project: bool,

    /// Do not draw maps/<category>.svg and .png.
    #[arg(long, global = true)]
    no_maps: bool,

    /// Do not write report.html and report.md.
    #[arg(long, global = true)]
    no_report: bool,

    /// Also draw one map per group and category, maps/<category>/<group>.svg and .png,
    /// each framed on its group (needs a group field).
    #[arg(long, global = true)]
    maps_per_group: bool,
}

impl ProductArgs {
    /// Puts the flags given into the configuration's `[output]`.
    fn apply(&self, output: &mut OutputConfig) {
        if let Some(lang) = self.lang {
            output.lang = Some(match lang {
                LangArg::En => Lang::En,
                LangArg::Zh => Lang::Zh,
            });
        }
        if let Some(title) = &self.title {
            output.title = Some(title.as_str().into());
        }
        if let Some(dpi) = self.map_dpi {
            output.map_dpi = Some(dpi);
        }
        if self.no_layers {
            output.layers = Some(false);
        }
        if self.no_gpkg {
            output.geopackage = Some(false);
        }
        if self.no_qgis_project {
            output.qgis_project = Some(false);
        }
        if self.no_maps {
            output.maps = Some(false);
        }
        if self.no_report {
            output.report = Some(false);
        }
        if self.maps_per_group {
            output.maps_per_group = Some(true);
        }
    }
}

/// Report languages.
#[derive(ValueEnum, Clone, Copy, Debug)]
enum LangArg {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run every category a TOML configuration names (what batch scripts use).
    #[command(
        after_help = "Example:\n  lifecircle run examples/tianjin-plan.toml --out out/tianjin\n\n\
Paths in the configuration are relative to the configuration file. See README.md for every key."
    )]
    Run(RunArgs),

    /// Measure one facility category, configured by flags.
    #[command(
        after_help = "Example:\n  lifecircle cover --communities data/teda/communities.geojson \\\n      --facilities data/teda/facilities.geojson \\\n      --category market --radius 1000 --target 0.95 --out out/\n\n\
  # 15 minutes at 4 km/h (1,000 m), judged on area:\n  lifecircle cover --communities c.geojson --facilities f.geojson \\\n      --category fitness --minutes 15 --basis area"
    )]
    Cover(Box<CoverArgs>),

    /// Where to add facilities of one category: the K best new sites (--add K), or the
    /// fewest that reach the target (--target), re-checked by the coverage engine.
    #[command(
        after_help = "Example:\n  lifecircle site --communities data/teda/communities.geojson \\\n      --demand data/teda/buildings.geojson --facilities data/teda/facilities.geojson \\\n      --category market --radius 1000 --target 0.95 --basis population \\\n      --group-field street --group 东海街 --candidates gaps --out out/site\n\n\
--candidates takes a point layer of candidate sites (with ids), `gaps` (the uncovered demand \
points) or `grid:SPACING` (cell centres that many metres apart in the gaps)."
    )]
    Site(Box<SiteArgs>),

    /// Write a synthetic city (communities, facilities, demand points, a plan) for benchmarks.
    #[command(
        after_help = "Example:\n  lifecircle synth --communities 100000 --facilities 10000 --out bench-city\n  lifecircle run bench-city/city.toml --no-gpkg --no-maps --no-report\n\n\
The same arguments give the same bytes. Communities are about --spacing metres across; \
at the default 400 m, 1,000,000 communities span 400 km and stay in one UTM zone."
    )]
    Synth(SynthArgs),

    /// Merge the partial results of `run --tile K/N` into the outputs one run writes.
    #[command(
        after_help = "Example:\n  for k in 1 2 3 4; do lifecircle run plan.toml --tile $k/4 --out parts/$k; done\n  lifecircle merge parts/* --out out/\n\n\
Each PART is a part-K-of-N.json or a folder holding one. Every tile from 1 to N must be there, \
from the same configuration; the layers are read again from the paths it names. See \
\"More than one machine\" in README.md for Slurm and Kubernetes."
    )]
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
struct MergeArgs {
    /// The tiles' partial results: part-K-of-N.json files, or the folders they were
    /// written to.
    #[arg(required = true, value_name = "PART")]
    parts: Vec<PathBuf>,

    /// Output folder of the merged results.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Exit with code 3 if any category misses its target.
    #[arg(long)]
    fail_on_target: bool,
}

#[derive(Args, Debug)]
struct SynthArgs {
    /// Number of communities.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    communities: usize,

    /// Facilities per category (default: a tenth of the communities).
    #[arg(long, value_name = "N")]
    facilities: Option<usize>,

    /// A category and the radius the plan gives it, NAME:METRES; repeat for several
    /// (default market:500, health:1000, fitness:1000, elderly_care:300).
    #[arg(long = "category", value_name = "NAME:METRES")]
    categories: Vec<String>,

    /// Weighted demand points (residential buildings) to write as demand.geojson.
    #[arg(long, value_name = "N", default_value_t = 0)]
    demand_points: usize,

    /// Seed of the random draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Size of a community, metres across.
    #[arg(long, value_name = "METRES", default_value_t = 400.0)]
    spacing: f64,

    /// Centre of the city, LON,LAT (WGS 84).
    #[arg(long, value_name = "LON,LAT", default_value = "117.2,39.1")]
    centre: String,

    /// Also write streets.geojson, a street network with junctions about this far apart
    /// (missing links, dead ends, bent streets), and walk along it in the plans.
    #[arg(long, value_name = "METRES", num_args = 0..=1, default_missing_value = "100")]
    network: Option<f64>,

    /// Output folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// The TOML configuration file.
    config: PathBuf,

    /// Output folder, overriding `[output] dir`.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Measure only tile K of N (1 to N) and write its partial result,
    /// part-K-of-N.json, to the output folder; `lifecircle merge` makes the outputs from
    /// all N. Tiles follow the UTM zones, then split by count of places.
    #[arg(long, value_name = "K/N", value_parser = parse_tile)]
    tile: Option<(usize, usize)>,

    /// Metric working CRS, overriding `[analysis] work_crs` (default: UTM zone of the study area).
    #[arg(long, value_name = "CRS")]
    work_crs: Option<String>,

    /// Exit with code 3 if any category misses its target.
    #[arg(long)]
    fail_on_target: bool,

    /// Skip the coverage curve, overriding `[curve]`.
    #[arg(long)]
    no_curve: bool,

    /// What to do with an invalid community boundary, overriding `[communities] on_invalid`.
    #[arg(long, value_enum, value_name = "POLICY")]
    on_invalid: Option<OnInvalid>,

    /// Street network (line GeoJSON or .osm.pbf), overriding `[network] path`: distances are
    /// walked along it.
    #[arg(long, value_name = "FILE")]
    network: Option<PathBuf>,

    /// CRS of a line-layer network, overriding `[network] crs`.
    #[arg(long, value_name = "CRS")]
    network_crs: Option<String>,
}

#[derive(Args, Debug)]
struct SiteArgs {
    #[command(flatten)]
    cover: CoverArgs,

    /// Candidate sites: a point layer with ids (any input format), `gaps` (the uncovered
    /// demand points) or `grid:SPACING` (cell centres SPACING metres apart in the gaps).
    #[arg(long, value_name = "FILE|gaps|grid:M")]
    candidates: String,

    /// The K new sites that reach the most people (default: the fewest that reach --target).
    #[arg(long, value_name = "K")]
    add: Option<usize>,

    /// Site for this group only (a value of --group-field, e.g. a street).
    #[arg(long, value_name = "VALUE", requires = "group_field")]
    group: Option<String>,

    /// CRS of the candidate layer, overriding the file's.
    #[arg(long, value_name = "CRS")]
    candidates_crs: Option<String>,

    /// Id field of the candidate layer.
    #[arg(long, value_name = "FIELD")]
    candidates_id: Option<String>,
}

#[derive(Args, Debug)]
struct CoverArgs {
    /// GeoJSON of community boundaries (Polygon / MultiPolygon); optional with --demand.
    #[arg(long, value_name = "FILE", required_unless_present = "demand")]
    communities: Option<PathBuf>,

    /// GeoJSON of where people live: weighted points, or polygons of known population
    /// (a population grid); replaces the even spread inside each community.
    #[arg(long, value_name = "FILE")]
    demand: Option<PathBuf>,

    /// The demand layer's weight field (residents or households).
    #[arg(
        long,
        value_name = "FIELD",
        requires = "demand",
        default_value = "population"
    )]
    demand_weight: String,

    /// CRS of the demand layer, overriding the file.
    #[arg(long, value_name = "CRS", requires = "demand")]
    demand_crs: Option<String>,

    /// Field (of the communities, else of the demand) holding a group such as the district
    /// or street: every figure is also given per group.
    #[arg(long, value_name = "FIELD")]
    group_field: Option<String>,

    /// Radii of the coverage curve, FROM:TO:STEP in metres (default 100:3000:100).
    #[arg(long, value_name = "FROM:TO:STEP", conflicts_with = "no_curve")]
    curve: Option<String>,

    /// Skip the coverage curve.
    #[arg(long)]
    no_curve: bool,

    /// GeoJSON of facilities (Point / MultiPoint; polygons are reached at a point inside).
    #[arg(long, value_name = "FILE")]
    facilities: PathBuf,

    /// Category to measure, as the facilities' category field holds it.
    #[arg(long, value_name = "NAME")]
    category: String,

    /// Reach in metres.
    #[arg(
        long,
        value_name = "METRES",
        allow_negative_numbers = true,
        conflicts_with = "minutes",
        required_unless_present = "minutes"
    )]
    radius: Option<f64>,

    /// Reach in minutes of walking (at --speed).
    #[arg(long, value_name = "MINUTES", allow_negative_numbers = true)]
    minutes: Option<f64>,

    /// Walking speed in km/h for --minutes.
    #[arg(long, value_name = "KMH", allow_negative_numbers = true, default_value_t = lifecircle::config::DEFAULT_WALKING_SPEED_KMH)]
    speed: f64,

    /// Target coverage as a fraction (0.95 for 95%).
    #[arg(long, value_name = "FRACTION", allow_negative_numbers = true)]
    target: Option<f64>,

    /// What the target is judged on (default: population when given, else area).
    #[arg(long, value_enum)]
    basis: Option<BasisArg>,

    /// Covered share from which a community counts as served.
    #[arg(long, value_name = "FRACTION", allow_negative_numbers = true, default_value_t = lifecircle::config::DEFAULT_SERVED_THRESHOLD)]
    threshold: f64,

    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,

    /// CRS of the communities, overriding the file (e.g. EPSG:4490, GCJ-02).
    #[arg(long, value_name = "CRS")]
    communities_crs: Option<String>,

    /// CRS of the facilities, overriding the file (e.g. GCJ-02 for web-map data).
    #[arg(long, value_name = "CRS")]
    facilities_crs: Option<String>,

    /// Metric working CRS (default: UTM zone of the study area's centre).
    #[arg(long, value_name = "CRS")]
    work_crs: Option<String>,

    /// Text encoding of the input shapefiles' .dbf and CSV tables (e.g. GBK, UTF-8, 936),
    /// overriding their .cpg and detection.
    #[arg(long, value_name = "ENCODING")]
    encoding: Option<String>,

    /// Street network to walk along: a GeoJSON of LineString / MultiLineString features or
    /// an OpenStreetMap .osm.pbf extract (default: straight-line circles).
    #[arg(long, value_name = "FILE")]
    network: Option<PathBuf>,

    /// CRS of a line-layer network, overriding the file (e.g. GCJ-02).
    #[arg(long, value_name = "CRS", requires = "network")]
    network_crs: Option<String>,

    /// Community id field.
    #[arg(long, value_name = "FIELD")]
    id_field: Option<String>,

    /// Community name field.
    #[arg(long, value_name = "FIELD")]
    name_field: Option<String>,

    /// Community population field (required in every feature when given).
    #[arg(long, value_name = "FIELD")]
    population_field: Option<String>,

    /// Community households field (required in every feature when given).
    #[arg(long, value_name = "FIELD")]
    households_field: Option<String>,

    /// Facility category field.
    #[arg(long, value_name = "FIELD", conflicts_with = "all_facilities")]
    category_field: Option<String>,

    /// Every facility in the file belongs to --category (for a file of one kind of facility).
    #[arg(long)]
    all_facilities: bool,

    /// Gap polygons smaller than this (m2) are left out of the gap layer and counted.
    #[arg(long, value_name = "M2", allow_negative_numbers = true)]
    min_gap_area: Option<f64>,

    /// Exit with code 3 if the target is missed.
    #[arg(long)]
    fail_on_target: bool,

    /// What to do with an invalid community boundary (self-crossing, overlapping parts, ...).
    #[arg(long, value_enum, value_name = "POLICY", default_value = "repair")]
    on_invalid: OnInvalid,
}

/// Invalid boundaries: repair them (with a warning), skip them (with a warning), or stop.
#[derive(ValueEnum, Clone, Copy, Debug)]
enum OnInvalid {
    /// Repair, with a warning; stop if it cannot be repaired.
    Repair,
    /// Leave it out of the analysis, with a warning.
    Skip,
    /// Stop with an error naming it.
    Fail,
}

impl From<OnInvalid> for InvalidPolicy {
    fn from(p: OnInvalid) -> InvalidPolicy {
        match p {
            OnInvalid::Repair => InvalidPolicy::Repair,
            OnInvalid::Skip => InvalidPolicy::Skip,
            OnInvalid::Fail => InvalidPolicy::Fail,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum BasisArg {
    Population,
    Area,
    Communities,
}

impl From<BasisArg> for Basis {
    fn from(b: BasisArg) -> Basis {
        match b {
            BasisArg::Population => Basis::Population,
            BasisArg::Area => Basis::Area,
            BasisArg::Communities => Basis::Communities,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match main_int(cli) {
        Ok(code) => code,
        Err(e) => {
            // Library errors carry their cause in the message already.
            match e.downcast_ref::<lifecircle::Error>() {
                Some(e) => eprintln!("lifecircle: error: {e}"),
                None => eprintln!("lifecircle: error: {e:#}"),
            }
            ExitCode::from(1)
        }
    }
}

fn main_int(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(n) = cli.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("cannot set up the worker threads")?;
    }
    let bars = || {
        Bars::new(
            !cli.quiet && !cli.progress_lines && std::io::stderr().is_terminal(),
            cli.verbose,
            cli.progress_lines,
        )
    };
    let (job, fail_on_target) = match cli.command {
        Command::Synth(args) => return synth(&args, cli.quiet),
        Command::Run(args) if args.tile.is_some() => {
            let (job, config, base) = job_and_config(&args, &cli.products)?;
            let Some(tile) = args.tile else {
                unreachable!("matched on a tile")
            };
            let part = lifecircle::part::analyse_part(&job, (&config, &base), tile, &bars())?;
            let path = part.write(&job.out_dir)?;
            if !cli.quiet {
                let places = part.result.as_ref().map_or(0, |r| r.places());
                println!(
                    "Tile {} of {}: {places} places measured; wrote {}",
                    tile.0,
                    tile.1,
                    path.display()
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::Merge(args) => {
            let paths = lifecircle::part::find_parts(&args.parts)?;
            let parts = lifecircle::part::read_parts(&paths)?;
            let (_, first) = &parts[0];
            let mut config = first.config.clone();
            cli.products.apply(&mut config.output);
            let mut job = Job::from_config(&config, &first.base)?;
            job.out_dir = args.out.clone();
            if job.products.shows_areas() {
                if let Some((path, _)) = parts.iter().find(|(_, p)| !p.areas) {
                    anyhow::bail!(
                        "{}: this tile ran without layers, GeoPackage, maps and report, so it \
                         holds no gaps or service areas to draw; run the tiles without \
                         --no-layers/--no-gpkg/--no-maps/--no-report, or merge with all four",
                        path.display()
                    );
                }
            }
            lifecircle::write::check_output_dir(&job)?;
            on_interrupt_abandon(&job.out_dir)?;
            let progress = bars();
            let analysis = lifecircle::part::merge_parts(&job, parts, &progress)?;
            let files = lifecircle::write::write_outputs(
                &analysis,
                &job.products,
                &job.out_dir,
                &progress,
            )?;
            return finish(cli.quiet, &job, analysis, files, args.fail_on_target);
        }
        Command::Run(args) => (job_from_file(&args, &cli.products)?, args.fail_on_target),
        Command::Cover(args) => {
            let fail = args.fail_on_target;
            (job_from_flags(*args, &cli.products)?, fail)
        }
        Command::Site(args) => {
            let fail = args.cover.fail_on_target;
            (job_from_site_flags(*args, &cli.products)?, fail)
        }
    };
    on_interrupt_abandon(&job.out_dir)?;
    let (analysis, files) = lifecircle::run_observed(&job, &bars())?;
    finish(cli.quiet, &job, analysis, files, fail_on_target)
}

/// Prints the warnings and the summary of a finished run; the exit code says whether a
/// target was missed (with `fail_on_target`).
fn finish(
    quiet: bool,
    job: &Job,
    analysis: lifecircle::Analysis,
    files: Vec<PathBuf>,
    fail_on_target: bool,
) -> anyhow::Result<ExitCode> {
    for w in &analysis.warnings {
        eprintln!("lifecircle: warning: {w}");
    }
    if !quiet {
        print!("{}", lifecircle::write::summary_table(&analysis));
        println!("Wrote {} files to {}", files.len(), job.out_dir.display());
        for (name, what) in [
            ("results.gpkg", "every layer, styled, for QGIS"),
            ("report.html", "the report, maps inlined"),
        ] {
            let path = job.out_dir.join(name);
            if files.contains(&path) {
                println!("  {}: {what}", path.display());
            }
            if name == "results.gpkg" {
                for qgs in files
                    .iter()
                    .filter(|f| f.extension().is_some_and(|e| e == "qgs"))
                {
                    println!(
                        "  {}: the QGIS project, a map theme and a print layout per category",
                        qgs.display()
                    );
                }
            }
        }
    }
    // With a siting, a target is missed when the new sites cannot reach it either.
    let missed = if analysis.siting.is_empty() {
        analysis
            .categories
            .iter()
            .any(|c| c.summary.meets_target == Some(false))
    } else {
        analysis
            .siting
            .iter()
            .any(|s| !s.target_reachable || s.target.is_some_and(|t| s.coverage_after + 1e-9 < t))
    };
    // The process ends here: the system takes the memory back at once, where dropping a
    // million communities' results piece by piece takes seconds.
    std::mem::forget(analysis);
    Ok(if fail_on_target && missed {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// On SIGINT or SIGTERM: let a move of finished outputs complete, remove the staging
/// folder, and exit with 130, so earlier outputs stay as they were and nothing partial is
/// left.
fn on_interrupt_abandon(out_dir: &Path) -> anyhow::Result<()> {
    let staging = lifecircle::write::staging_dir(out_dir);
    ctrlc::set_handler(move || {
        lifecircle::write::stop_staging();
        while lifecircle::write::swapping_outputs() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = std::fs::remove_dir_all(&staging);
        eprintln!("lifecircle: interrupted; earlier outputs are left as they were");
        std::process::exit(130);
    })
    .context("cannot install the interrupt handler")
}

fn job_from_file(args: &RunArgs, products: &ProductArgs) -> anyhow::Result<Job> {
    Ok(job_and_config(args, products)?.0)
}

/// K/N of `--tile`.
fn parse_tile(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("\"{s}\": give the tile as K/N, e.g. 3/8 (K from 1 to N)");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let k: usize = k.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if n == 0 {
        return Err(format!(
            "\"{s}\": N, the number of tiles, must be at least 1"
        ));
    }
    if k == 0 || k > n {
        return Err(format!(
            "\"{s}\": K counts tiles from 1 to N (here 1 to {n})"
        ));
    }
    Ok((k, n))
}

/// The job of `run`, and the configuration (command-line overrides applied, a network
/// given on the command line as an absolute path) and folder it was made from, which a
/// tile's partial result keeps for the merge.
fn job_and_config(
    args: &RunArgs,
    products: &ProductArgs,
) -> anyhow::Result<(Job, Config, PathBuf)> {
    let mut config = Config::from_file(&args.config)?;
    products.apply(&mut config.output);
    if let Some(crs) = &args.work_crs {
        config.analysis.work_crs = Some(crs.clone());
    }
    if args.no_curve {
        config.curve.enabled = Some(false);
    }
    if let Some(policy) = args.on_invalid {
        if let Some(c) = config.communities.as_mut() {
            c.on_invalid = Some(policy.into());
        }
        if let Some(d) = config.demand.as_mut() {
            d.on_invalid = Some(policy.into());
        }
    }
    if args.network_crs.is_some() && args.network.is_none() && config.network.is_none() {
        anyhow::bail!("--network-crs: no street network given ([network] or --network)");
    }
    let base = args.config.parent().unwrap_or(Path::new("."));
    let mut job = Job::from_config(&config, base)?;
    if args.network.is_some() || args.network_crs.is_some() {
        // A path given on the command line is taken from the current folder, not from the
        // configuration's.
        let mut network = config.network.clone().unwrap_or_default();
        if let Some(crs) = &args.network_crs {
            network.crs = Some(crs.clone());
        }
        let path = match (&args.network, &job.network) {
            (Some(path), _) => path.clone(),
            (None, Some(layer)) => layer.path.clone(),
            (None, None) => PathBuf::new(),
        };
        job.network = Some(NetworkLayer::from_config(&network, path.clone())?);
        network.path = std::path::absolute(&path)
            .with_context(|| format!("{}: cannot make the path absolute", path.display()))?;
        config.network = Some(network);
    }
    if let Some(out) = &args.out {
        job.out_dir = out.clone();
    }
    let base = std::path::absolute(if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    })
    .with_context(|| format!("{}: cannot make the path absolute", base.display()))?;
    Ok((job, config, base))
}

/// `lifecircle site`: the cover flags, and one siting of their category.
fn job_from_site_flags(a: SiteArgs, products: &ProductArgs) -> anyhow::Result<Job> {
    let mut job = job_from_flags(a.cover, products)?;
    let category = job
        .categories
        .first()
        .context("no category to site")?
        .clone();
    let config = Config {
        siting: vec![SitingConfig {
            category: category.name.clone(),
            candidates: a.candidates,
            candidates_crs: a.candidates_crs,
            candidates_id: a.candidates_id,
            add: a.add,
            target: None,
            group: a.group,
        }],
        ..Config::default()
    };
    job.siting = lifecircle::config::siting_specs(&config, &job.categories, &|p| p.to_path_buf())?;
    Ok(job)
}

fn job_from_flags(a: CoverArgs, products: &ProductArgs) -> anyhow::Result<Job> {
    let curve = match (&a.curve, a.no_curve) {
        (_, true) => CurveConfig {
            enabled: Some(false),
            ..CurveConfig::default()
        },
        (Some(text), false) => parse_curve(text)?,
        (None, false) => CurveConfig::default(),
    };
    let has_communities = a.communities.is_some();
    let config = Config {
        communities: a.communities.map(|path| CommunitiesConfig {
            path,
            crs: a.communities_crs,
            id: a.id_field,
            name: a.name_field,
            population: a.population_field,
            households: a.households_field,
            on_invalid: Some(a.on_invalid.into()),
            group: a.group_field.clone(),
            encoding: a.encoding.clone(),
            ..CommunitiesConfig::default()
        }),
        demand: a.demand.map(|path| DemandConfig {
            path,
            crs: a.demand_crs,
            weight: Some(a.demand_weight),
            group: if has_communities {
                None
            } else {
                a.group_field.clone()
            },
            encoding: a.encoding.clone(),
            ..DemandConfig::default()
        }),
        curve,
        network: a.network.map(|path| NetworkConfig {
            path,
            crs: a.network_crs,
            ..NetworkConfig::default()
        }),
        facilities: FacilitiesConfig {
            path: a.facilities,
            crs: a.facilities_crs,
            id: None,
            category: a.category_field,
            rules: if a.all_facilities {
                vec![CategoryRule {
                    category: a.category.clone(),
                    when: Default::default(),
                }]
            } else {
                Vec::new()
            },
            community: None,
            encoding: a.encoding.clone(),
            ..FacilitiesConfig::default()
        },
        analysis: AnalysisConfig {
            work_crs: a.work_crs,
            walking_speed_kmh: Some(a.speed),
            served_threshold: Some(a.threshold),
        },
        categories: vec![CategoryConfig {
            name: a.category,
            radius_m: a.radius,
            minutes: a.minutes,
            target: a.target,
            basis: a.basis.map(Basis::from),
            ..CategoryConfig::default()
        }],
        output: OutputConfig {
            dir: Some(a.out),
            min_gap_area_m2: a.min_gap_area,
            ..OutputConfig::default()
        },
        ..Config::default()
    };
    let mut config = config;
    products.apply(&mut config.output);
    Ok(Job::from_config(&config, Path::new(""))?)
}

/// `lifecircle synth`: writes the city and says what it wrote.
fn synth(args: &SynthArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let spec = synth_spec(args)?;
    let city = lifecircle::synth::City::generate(&spec)?;
    let written = city.write(&args.out)?;
    if !quiet {
        let [w, s, e, n] = written.extent;
        println!(
            "{} communities ({:.1} km x {:.1} km, {} residents), {} facilities in {} categories, \
             {} demand points",
            spec.communities,
            written.size_km.0,
            written.size_km.1,
            written.population,
            spec.facilities_per_category * spec.categories.len(),
            spec.categories.len(),
            spec.demand_points
        );
        println!("Extent: longitude {w:.4} to {e:.4}, latitude {s:.4} to {n:.4}");
        let zone = |lon: f64| ((lon + 180.0) / 6.0).floor() as i64 + 1;
        if zone(w) != zone(e) {
            println!(
                "Note: the area spans UTM zones {} to {}; lifecircle measures in the zone of \
                 the centre, where scale errors grow towards the edges (use a smaller --spacing \
                 to stay in one zone)",
                zone(w),
                zone(e)
            );
        }
        for f in &written.files {
            println!("  {}", f.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn synth_spec(args: &SynthArgs) -> anyhow::Result<lifecircle::synth::CitySpec> {
    let categories = if args.categories.is_empty() {
        lifecircle::synth::default_categories()
    } else {
        args.categories
            .iter()
            .map(|text| {
                let parsed = text
                    .split_once(':')
                    .and_then(|(n, r)| Some((n.trim().to_string(), r.trim().parse::<f64>().ok()?)));
                match parsed {
                    Some((name, radius)) if !name.is_empty() => Ok((name, radius)),
                    _ => anyhow::bail!(
                        "--category {text}: expected NAME:METRES, e.g. --category market:500"
                    ),
                }
            })
            .collect::<anyhow::Result<_>>()?
    };
    let centre = args
        .centre
        .split_once(',')
        .and_then(|(x, y)| Some((x.trim().parse::<f64>().ok()?, y.trim().parse::<f64>().ok()?)));
    let Some((x, y)) = centre else {
        anyhow::bail!(
            "--centre {}: expected LON,LAT in degrees, e.g. --centre 117.2,39.1",
            args.centre
        );
    };
    Ok(lifecircle::synth::CitySpec {
        communities: args.communities,
        facilities_per_category: args.facilities.unwrap_or(args.communities / 10),
        categories,
        demand_points: args.demand_points,
        seed: args.seed,
        spacing_m: args.spacing,
        centre: geo::Coord { x, y },
        street_spacing_m: args.network,
    })
}

/// `--curve 100:3000:100`.
fn parse_curve(text: &str) -> anyhow::Result<CurveConfig> {
    let parts: Vec<&str> = text.split(':').collect();
    let numbers: Option<Vec<f64>> = parts.iter().map(|p| p.trim().parse().ok()).collect();
    match numbers.as_deref() {
        Some([from, to, step]) => Ok(CurveConfig {
            from_m: Some(*from),
            to_m: Some(*to),
            step_m: Some(*step),
            enabled: Some(true),
        }),
        _ => anyhow::bail!(
            "--curve {text}: expected FROM:TO:STEP in metres, e.g. --curve 100:3000:100"
        ),
    }
}

/// Progress bars on stderr when it is a terminal, and step times with `-v`.
struct Bars {
    draw: bool,
    verbose: bool,
    bar: RwLock<Option<indicatif::ProgressBar>>,
    step: Mutex<Option<(String, Instant)>>,
    done: AtomicU64,
    /// Plain progress lines (`--progress-lines`) instead of bars.
    lines: bool,
    /// The current step's name and item count, for the progress lines.
    counted: Mutex<(String, u64)>,
}

impl Bars {
    fn new(draw: bool, verbose: bool, lines: bool) -> Bars {
        Bars {
            draw,
            verbose,
            bar: RwLock::new(None),
            step: Mutex::new(None),
            done: AtomicU64::new(0),
            lines,
            counted: Mutex::new((String::new(), 0)),
        }
    }

    /// A progress line: the step, then `done/total` (`done` alone when not counted).
    fn line(&self, done: u64) {
        if let Ok(counted) = self.counted.lock() {
            let (step, total) = &*counted;
            eprintln!("lifecircle: progress: {step} {done}/{total}");
        }
    }
}

impl lifecircle::Progress for Bars {
    fn begin(&self, step: &str, total: u64) {
        self.done.store(0, Ordering::Relaxed);
        if let Ok(mut s) = self.step.lock() {
            *s = Some((step.to_string(), Instant::now()));
        }
        if self.lines {
            if let Ok(mut counted) = self.counted.lock() {
                *counted = (step.to_string(), total);
            }
            self.line(0);
        }
        if !self.draw {
            return;
        }
        let bar = if total > 0 {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{prefix:>20} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        } else {
            let bar = indicatif::ProgressBar::new_spinner();
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{prefix:>20} {spinner} {elapsed}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        };
        bar.set_prefix(step.to_string());
        if let Ok(mut b) = self.bar.write() {
            *b = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        if self.lines {
            let total = self.counted.lock().map(|c| c.1).unwrap_or(0);
            let percent = |done: u64| done * 100 / total.max(1);
            if total > 0 && percent(before + n) > percent(before) {
                self.line(before + n);
            }
        }
        if self.draw {
            if let Ok(b) = self.bar.read() {
                if let Some(bar) = b.as_ref() {
                    bar.inc(n);
                }
            }
        }
    }

    fn end(&self) {
        if self.lines {
            let total = self.counted.lock().map(|c| c.1).unwrap_or(0);
            self.line(total.max(self.done.load(Ordering::Relaxed)));
        }
        if let Ok(mut b) = self.bar.write() {
            if let Some(bar) = b.take() {
                bar.finish_and_clear();
            }
        }
        let step = self.step.lock().ok().and_then(|mut s| s.take());
        if let (true, Some((name, started))) = (self.verbose, step) {
            let done = self.done.load(Ordering::Relaxed);
            let items = if done > 0 {
                format!("{done} places in ")
            } else {
                String::new()
            };
            eprintln!(
                "lifecircle: {name}: {items}{:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_flags_become_a_job() {
        let cli = Cli::try_parse_from([
            "lifecircle",
            "cover",
            "--communities",
            "c.geojson",
            "--facilities",
            "f.geojson",
            "--category",
            "market",
            "--minutes",
            "10",
            "--speed",
            "4.8",
            "--target",
            "0.9",
        ])
        .unwrap();
        let Command::Cover(args) = cli.command else {
            panic!("not cover")
        };
        let job = job_from_flags(*args, &cli.products).unwrap();
        assert!((job.categories[0].radius_m - 800.0).abs() < 1e-9);
        assert_eq!(job.categories[0].target, Some(0.9));
        assert_eq!(job.out_dir, PathBuf::from("out"));
    }

    #[test]
    fn product_flags_override_the_output_settings() {
        let cli = Cli::try_parse_from([
            "lifecircle",
            "cover",
            "--communities",
            "c.geojson",
            "--facilities",
            "f.geojson",
            "--category",
            "market",
            "--radius",
            "500",
            "--lang",
            "zh",
            "--map-dpi",
            "300",
            "--no-gpkg",
            "--no-report",
            "--title",
            "泰达",
        ])
        .unwrap();
        let Command::Cover(args) = cli.command else {
            panic!("not cover")
        };
        let job = job_from_flags(*args, &cli.products).unwrap();
        let p = &job.products;
        assert_eq!(p.lang, Lang::Zh);
        assert_eq!(p.map_dpi, 300.0);
        assert_eq!(p.title, "泰达");
        assert!(!p.geopackage && !p.report && p.maps);
    }

    #[test]
    fn a_map_resolution_out_of_range_is_refused() {
        let cli = Cli::try_parse_from([
            "lifecircle",
            "cover",
            "--communities",
            "c.geojson",
            "--facilities",
            "f.geojson",
            "--category",
            "market",
            "--radius",
            "500",
            "--map-dpi",
            "5000",
        ])
        .unwrap();
        let Command::Cover(args) = cli.command else {
            panic!("not cover")
        };
        let err = job_from_flags(*args, &cli.products)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("map_dpi: is 5000, expected a resolution from 30 to 1200"),
            "{err}"
        );
    }
}
