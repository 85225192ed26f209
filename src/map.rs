//! Coverage maps per category, as SVG and PNG.

use crate::config::Products;
use crate::error::Result;
use crate::pipeline::Analysis;

/// Stub until the map module lands.
pub fn map_svg(_analysis: &Analysis, _category: usize, _products: &Products) -> Result<String> {
    Ok(String::new())
}

/// Stub until the map module lands.
pub fn map_png(_svg: &str, _dpi: f64) -> Result<Vec<u8>> {
    Ok(Vec::new())
}
