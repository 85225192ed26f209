//! Coverage maps per category, as SVG and PNG.
