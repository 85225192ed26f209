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
pub mod pipeline;
pub mod report;
pub mod style;
pub mod summary;
pub mod text;
pub mod validate;
pub mod write;

pub use config::{Basis, Config, Job};
pub use error::{AreaOfUseMiss, Error, FeatureProblem, Result};
pub use measure::{DistanceModel, StraightLine};
pub use pipeline::{analyse, analyse_with, Analysis};

/// Runs a job and writes its outputs; returns the analysis and the files written.
pub fn run(job: &Job) -> Result<(Analysis, Vec<std::path::PathBuf>)> {
    write::check_output_dir(job)?;
    let analysis = analyse(job)?;
    let files = write::write_outputs(&analysis, &job.out_dir)?;
    Ok((analysis, files))
}
