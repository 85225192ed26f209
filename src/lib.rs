#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod crs;
pub mod demand;
mod error;
pub mod gpkg;
pub mod index;
pub mod indicator;
pub mod layers;
pub mod level;
pub mod load;
pub mod map;
pub mod measure;
pub mod network;
pub mod pipeline;
pub mod progress;
pub mod project;
pub mod qml;
pub mod report;
pub mod siting;
pub mod style;
pub mod summary;
pub mod synth;
pub mod text;
pub mod validate;
pub mod warning;
pub mod write;
pub mod xml;

pub use config::{Basis, Config, Job};
pub use error::{AreaOfUseMiss, Error, FeatureProblem, Result};
pub use measure::{DistanceModel, StraightLine};
pub use pipeline::{analyse, analyse_observed, analyse_with, Analysis};
pub use progress::{Progress, Silent};

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
