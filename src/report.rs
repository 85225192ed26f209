//! `report.html` and `report.md`: the figures, maps and gaps for a planning report.

use crate::config::Products;
use crate::pipeline::Analysis;

/// Stub until the report lands.
pub fn report_html(
    _analysis: &Analysis,
    _products: &Products,
    _maps: &[(usize, String)],
) -> String {
    String::new()
}

/// Stub until the report lands.
pub fn report_md(_analysis: &Analysis, _products: &Products, _maps: &[(usize, String)]) -> String {
    String::new()
}
