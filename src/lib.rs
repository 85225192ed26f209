#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The wings: data flows input -> reach -> analysis -> output, the pipeline calling each.
pub mod analysis;
pub mod input;
pub mod output;
pub mod pipeline;
pub mod reach;

mod error;
mod parallel;
pub mod progress;
pub mod synth;
pub mod warning;

// Each module also at the crate's root, for the library's users (`lifecircle::gpkg`,
// `lifecircle::config::Lang`); the crate's own code names the wing (`crate::output::gpkg`).
pub use analysis::{demand, indicator, level, measure, siting, summary, tiles};
pub use input::{config, crs, load, validate};
pub use output::{gpkg, layers, map, project, qml, report, style, text, write, xml};
pub use pipeline::part;
pub use reach::{circles, index, network};

pub use config::{Basis, Config, Job};
pub use error::{AreaOfUseMiss, Error, FeatureProblem, Result};
pub use pipeline::{analyse, analyse_observed, analyse_with, Analysis};
pub use progress::{Progress, Silent};
pub use reach::circles::{DistanceModel, StraightLine};

/// Runs a job and writes its outputs; returns the analysis and the files written.
pub fn run(job: &Job) -> Result<(Analysis, Vec<std::path::PathBuf>)> {
    run_observed(job, &Silent)
}

/// [`run`], telling `progress` what it is doing.
pub fn run_observed(
    job: &Job,
    progress: &dyn Progress,
) -> Result<(Analysis, Vec<std::path::PathBuf>)> {
    write::check_output_dir(job)?;
    let analysis = analyse_observed(job, &StraightLine::default(), progress)?;
    let files = write::write_outputs(&analysis, &job.products, &job.out_dir, progress)?;
    Ok((analysis, files))
}
