//! `results.gpkg`: every layer of a run in one GeoPackage, styled for QGIS.
