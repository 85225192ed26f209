//! Cartography that follows the map's scale: how wide the outlines are, how gaps are
//! shown, how large the facility markers are and what is labelled, chosen from how large
//! the communities come out on the page and how many facilities share the frame.
//!
//! A district of a few dozen communities (each a centimetre or more across on the page) is
//! drawn as it always was: outlined communities with their names, gaps as a vermilion band
//! inside their edge, 2.5 mm facility dots. A city of thousands of communities is not: at
//! 2 mm a community, outlines and gap bands would cover the share colours they surround.
//! The rules, by the median community's side on the page (`side`):
//!
//! | side | community outlines | gaps | labels |
//! |---|---|---|---|
//! | ≥ 6 mm | 0.25 mm | a band inside the edge, `side / 20` (0.25 to 0.6 mm) | communities |
//! | 2.5 to 6 mm | 0.1 mm, lighter | hatched | groups, else communities that fit |
//! | < 2.5 mm | none | hatched | groups, else communities that fit |
//!
//! Facility markers keep their 1.25 mm radius while they cover under 2% of the frame, and
//! shrink (to 0.45 mm at the least) so that they do not. At a city's scale service areas
//! lose their 0.45 mm outline (the hatching marks where reach ends), the groups
//! (districts) are outlined and labelled with their share instead of the communities, and
//! the frame's margin shrinks from 3% to 1% of the city's size.

use super::frame::Frame;
use super::Content;

/// Communities at least this wide on the page (mm) are drawn as a district map.
const DISTRICT_SIDE_MM: f64 = 6.0;
/// Communities narrower than this (mm) lose their outlines.
const OUTLINE_SIDE_MM: f64 = 2.5;
/// The facility markers' largest radius, mm.
const MARKER_R: f64 = 1.25;
/// Their smallest radius, mm.
const MARKER_MIN_R: f64 = 0.45;
/// The share of the frame the markers may cover before they shrink.
const MARKER_COVER: f64 = 0.02;

/// How gaps are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GapDrawing {
    /// A vermilion band inside each gap's edge, this wide (mm).
    Band(f64),
    /// Vermilion hatching over the gap, the share colour showing between the lines.
    Hatch,
}

/// What the map draws at its scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cartography {
    /// The median community's side on the page, mm (none without areas).
    pub side_mm: Option<f64>,
    /// Community outline width, mm; none: outlines are not drawn.
    pub outline_mm: Option<f64>,
    /// Community outline colour.
    pub outline_colour: &'static str,
    /// How gaps are drawn.
    pub gaps: GapDrawing,
    /// Facility marker radius, mm.
    pub marker_r: f64,
    /// Facility marker outline width, mm.
    pub marker_stroke: f64,
    /// Service-area outline width, mm; none at a city's scale, where the hatched gaps
    /// already mark the edge of reach.
    pub circle_stroke: Option<f64>,
    /// Whether groups (districts, streets) are outlined and labelled rather than the
    /// communities: the map is of a city, and the run has groups.
    pub group_labels: bool,
}

impl Cartography {
    /// Whether the map is of a city: communities too small for outlines and bands.
    pub fn is_city(&self) -> bool {
        !is_district(self.side_mm)
    }

    /// The cartography of `content` in `frame`, where `markers` facilities show.
    pub fn choose(content: &Content, frame: &Frame, markers: usize) -> Cartography {
        let side_mm = median_side_mm(content, frame);
        let district = is_district(side_mm);
        let outline_mm = match side_mm {
            Some(s) if s < OUTLINE_SIDE_MM => None,
            Some(s) if s < DISTRICT_SIDE_MM => Some(0.1),
            _ => Some(0.25),
        };
        let gaps = if district {
            GapDrawing::Band(side_mm.map_or(0.6, |s| (s / 20.0).clamp(0.25, 0.6)))
        } else {
            GapDrawing::Hatch
        };
        let frame_mm2 = frame.rect.w * frame.rect.h;
        let markers = markers.max(1) as f64;
        let fitting = (MARKER_COVER * frame_mm2 / (std::f64::consts::PI * markers)).sqrt();
        let marker_r = fitting.clamp(MARKER_MIN_R, MARKER_R);
        Cartography {
            side_mm,
            outline_mm,
            outline_colour: if district {
                crate::output::style::COMMUNITY_OUTLINE
            } else {
                "#8c8c8c"
            },
            gaps,
            marker_r,
            marker_stroke: 0.25 * marker_r / MARKER_R,
            circle_stroke: district.then_some(0.45),
            group_labels: !district && content.has_groups(),
        }
    }
}

/// Whether communities `side_mm` across make a district's map (none: no areas).
fn is_district(side_mm: Option<f64>) -> bool {
    side_mm.is_none_or(|s| s >= DISTRICT_SIDE_MM)
}

/// The median side (square root of the area) of the map's areas on the page, mm.
fn median_side_mm(content: &Content, frame: &Frame) -> Option<f64> {
    let mut sides: Vec<f64> = content
        .areas
        .iter()
        .map(|a| a.area_m2.sqrt() * frame.mm_per_m())
        .filter(|s| s.is_finite())
        .collect();
    if sides.is_empty() {
        return None;
    }
    sides.sort_by(f64::total_cmp);
    Some(sides[sides.len() / 2])
}
