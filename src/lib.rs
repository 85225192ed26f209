//! lifecircle: can every resident reach the everyday facilities they need within a 15-minute
//! walk, and where not?
//!
//! The library runs a job in stages, one module each, in the order data flows:
//! [`load`] (GeoJSON reading and checks) -> [`crs`] (declared CRS, GCJ-02/BD-09, the metric
//! working CRS) -> [`index`] (R-trees) -> [`measure`] (service circles, clipping, nearest,
//! counts) -> [`summary`] (targets and verdicts) -> [`write`] (GeoJSON, CSV, JSON), with
//! [`config`] describing a run and [`pipeline`] tying the stages together.
//!
//! ```no_run
//! use std::path::Path;
//! let config = lifecircle::Config::from_file(Path::new("examples/teda.toml"))?;
//! let job = lifecircle::Job::from_config(&config, Path::new("examples"))?;
//! let analysis = lifecircle::analyse(&job)?;
//! for category in &analysis.categories {
//!     println!("{}: {:.1}%", category.summary.name, category.summary.coverage * 100.0);
//! }
//! # Ok::<(), lifecircle::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod crs;
mod error;
pub mod index;
pub mod load;
pub mod measure;
pub mod pipeline;
pub mod summary;
pub mod write;

pub use config::{Basis, Config, Job};
pub use error::{Error, FeatureProblem, Result};
pub use measure::{DistanceModel, StraightLine};
pub use pipeline::{analyse, analyse_with, Analysis};

/// Runs a job and writes its outputs; returns the analysis and the files written.
pub fn run(job: &Job) -> Result<(Analysis, Vec<std::path::PathBuf>)> {
    write::check_output_dir(job)?;
    let analysis = analyse(job)?;
    let files = write::write_outputs(&analysis, &job.out_dir)?;
    Ok((analysis, files))
}
