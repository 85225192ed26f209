//! Writing: the layers built once, then GeoJSON with QML styles, the GeoPackage and its
//! QGIS project, the maps, the report and the terminal table, in the run's language.

pub mod gpkg;
pub mod layers;
pub mod map;
pub mod project;
pub mod qml;
pub mod report;
pub(crate) mod rtree;
pub mod style;
pub mod text;
pub mod write;
pub mod xml;
