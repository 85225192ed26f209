//! One look for every product: the colours and classes the GeoPackage styles, the `.qml`
//! files and the maps share, so a layer looks the same in QGIS, on the map and in the report.
//!
//! Colours are colour-blind safe: the covered-share ramp is ColorBrewer's 5-class YlGnBu
//! (light where coverage is poor, dark where it is full; it also prints in grey), the
//! categories take the Okabe-Ito palette, and gaps a strong vermilion outline that the ramp
//! does not hold.

/// Upper bounds of the covered-share classes (0-20%, 20-40%, 40-60%, 60-80%, 80-100%).
pub const SHARE_BREAKS: [f64; 5] = [0.2, 0.4, 0.6, 0.8, 1.0];

/// Fill of each covered-share class, poorest first (ColorBrewer YlGnBu, 5 classes).
pub const SHARE_COLOURS: [&str; 5] = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"];

/// Fill of a community with no figure.
pub const NO_DATA_COLOUR: &str = "#d9d9d9";

/// Outline of communities.
pub const COMMUNITY_OUTLINE: &str = "#636363";

/// Outline of gaps: strong, and in no class of the ramp.
pub const GAP_COLOUR: &str = "#d55e00";

/// Colours of facility categories, in the order the categories are configured
/// (Okabe-Ito, black last), repeating after eight.
pub const CATEGORY_COLOURS: [&str; 8] = [
    "#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#0072b2", "#f0e442", "#d55e00", "#000000",
];

/// Opacity of service-circle fills.
pub const CIRCLE_FILL_OPACITY: f64 = 0.18;

/// The colour of the `i`-th configured category.
pub fn category_colour(i: usize) -> &'static str {
    CATEGORY_COLOURS[i % CATEGORY_COLOURS.len()]
}

/// The class (0..5) of a covered share; shares above 1 or below 0 are clamped.
pub fn share_class(share: f64) -> usize {
    SHARE_BREAKS
        .iter()
        .position(|&b| share < b)
        .unwrap_or(SHARE_BREAKS.len() - 1)
}

/// The fill of a covered share.
pub fn share_colour(share: Option<f64>) -> &'static str {
    match share {
        Some(s) if s.is_finite() => SHARE_COLOURS[share_class(s)],
        _ => NO_DATA_COLOUR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_fall_in_their_class() {
        assert_eq!(share_class(0.0), 0);
        assert_eq!(share_class(0.1999), 0);
        assert_eq!(share_class(0.2), 1);
        assert_eq!(share_class(0.79), 3);
        assert_eq!(share_class(0.8), 4);
        assert_eq!(share_class(1.0), 4);
        assert_eq!(share_class(-0.5), 0);
        assert_eq!(share_colour(None), NO_DATA_COLOUR);
        assert_eq!(share_colour(Some(1.0)), "#253494");
        assert_eq!(category_colour(9), category_colour(1));
    }
}
