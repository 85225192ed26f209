//! Reading: the configuration, the files planners hold (GeoJSON, CSV, Shapefiles,
//! GeoPackages, OpenStreetMap), their coordinates, and the checks on their shapes.
//!
//! Data flows `input` → [`crate::reach`] → [`crate::analysis`] → [`crate::output`];
//! [`crate::pipeline`] calls one wing after the other.

pub mod config;
pub mod crs;
pub mod load;
pub mod validate;
