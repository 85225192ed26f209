//! `results.gpkg`: every layer of a run in one GeoPackage, styled for QGIS.

use std::path::Path;

use crate::error::Result;
use crate::pipeline::Analysis;

/// Stub until the GeoPackage writer lands.
pub fn write_gpkg(_analysis: &Analysis, path: &Path) -> Result<()> {
    std::fs::write(path, b"").map_err(|source| crate::Error::Write {
        path: path.to_path_buf(),
        source,
    })
}
