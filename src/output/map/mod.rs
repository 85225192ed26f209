//! Coverage maps per category, as SVG and PNG, for planning reports.
//!
//! Each map is an A4-wide sheet: the title and the category's result, the communities
//! filled by the share of their area within reach (the covered-share ramp of
//! [`crate::output::style`]), the category's service areas and facilities in its colour, the gaps
//! outlined in vermilion, community labels, a legend, a scale bar, north and the sources.
//! Geometry is projected with PROJ into the run's working CRS, so the scale bar is true.
//! The SVG is written by hand, deterministically (same run, same bytes), and rendered to
//! PNG with resvg and the system's fonts.

mod frame;
mod labels;
mod render;
mod scale;
mod sheet;
mod svg;
pub(crate) mod words;

use std::path::PathBuf;

use geo::{BoundingRect, Coord, InteriorPoint, MapCoordsInPlace, MultiPolygon, Rect};

use crate::error::{Error, FeatureProblem, Result};
use crate::input::config::Products;
use crate::input::crs::WorkCrs;
use crate::input::load::DemandShape;
use crate::pipeline::{Analysis, CategoryResult, GapShape};

pub use render::png_width;

/// The sources notes of the `c`-th category's map, as its footer prints them: the
/// attribution, the distance model with its radius, the projection, this tool. The QGIS
/// project's print layouts carry the same line.
pub fn sources(analysis: &Analysis, c: usize, products: &Products) -> Vec<String> {
    sheet::footer(
        analysis,
        &analysis.categories[c].summary,
        products,
        words::words(products.lang),
    )
}

/// The SVG map of the `category`-th category (its position in the analysis).
pub fn map_svg(analysis: &Analysis, category: usize, products: &Products) -> Result<String> {
    Ok(CategoryMaps::new(analysis, category)?.whole(analysis, products))
}

/// The maps of one category: its layers projected once, drawn for the whole study area
/// and for each group (district, street).
pub struct CategoryMaps {
    category: usize,
    content: Content,
}

impl CategoryMaps {
    /// Projects the `category`-th category's layers (its position in the analysis).
    pub fn new(analysis: &Analysis, category: usize) -> Result<CategoryMaps> {
        let Some(cat) = analysis.categories.get(category) else {
            return Err(Error::Setting {
                setting: "map".into(),
                message: format!(
                    "there is no category {category}: the run has {}",
                    analysis.categories.len()
                ),
            });
        };
        let path = PathBuf::from(format!("maps/{}.svg", cat.summary.name));
        Ok(CategoryMaps {
            category,
            content: Content::project(analysis, category, &path)?,
        })
    }

    /// The map of the whole study area, as SVG.
    pub fn whole(&self, analysis: &Analysis, products: &Products) -> String {
        sheet::draw(analysis, self.category, products, &self.content, None)
    }

    /// The map of the `group`-th group (its position in `analysis.groups`), framed on it
    /// with the other groups faded, as SVG; none when the group has no community on the map.
    pub fn of_group(
        &self,
        analysis: &Analysis,
        products: &Products,
        group: usize,
    ) -> Option<String> {
        let focus = self
            .content
            .groups()
            .iter()
            .position(|g| g.group == group)?;
        Some(sheet::draw(
            analysis,
            self.category,
            products,
            &self.content,
            Some(focus),
        ))
    }
}

/// The map as PNG, `round(210 / 25.4 * dpi)` pixels wide (dpi at A4 width), drawn with the
/// system's fonts; an error if the text has Chinese characters and no installed font has
/// them.
pub fn map_png(svg: &str, dpi: f64) -> Result<Vec<u8>> {
    render::render_png(svg, dpi, render::system_fonts())
}

/// What an area on the map is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AreaKind {
    /// Communities.
    Communities,
    /// Demand polygons (a run without communities).
    Demand,
}

/// An area filled by its covered share.
struct Area {
    /// Working-CRS metres.
    shape: MultiPolygon<f64>,
    /// Covered share of its area, 0..1.
    share: f64,
    /// Its label (communities only).
    name: Option<String>,
    /// Where its label goes, metres.
    anchor: Option<Coord<f64>>,
    /// Its area, m2, to label the larger first.
    area_m2: f64,
    /// Its group, as a position in `analysis.groups`.
    group: Option<usize>,
}

/// A group (district, street) on the map: its communities dissolved.
struct GroupArea {
    /// Its position in `analysis.groups`.
    group: usize,
    /// Working-CRS metres.
    shape: MultiPolygon<f64>,
    /// Where its label goes, metres.
    anchor: Option<Coord<f64>>,
    /// Its area, m2, to label the larger first.
    area_m2: f64,
}

/// The map's layers in working-CRS metres.
struct Content {
    kind: Option<AreaKind>,
    areas: Vec<Area>,
    /// The groups of the communities dissolved, in `analysis.groups` order: made when a map
    /// first draws them (a city's map, a group's map), not for a district's.
    groups: std::sync::OnceLock<Vec<GroupArea>>,
    /// Demand points, with whether they are within reach (a run without communities).
    points: Vec<(Coord<f64>, bool)>,
    circles: Vec<MultiPolygon<f64>>,
    /// The street network walked along, if any.
    streets: Vec<geo::LineString<f64>>,
    gap_areas: Vec<MultiPolygon<f64>>,
    gap_points: Vec<Coord<f64>>,
    /// Sites of the category's facilities.
    sites: Vec<Coord<f64>>,
    /// Proposed sites of the category's first siting, in the order to build them.
    proposed: Vec<Coord<f64>>,
    /// Their reach, when it is a straight-line circle (metres); none along streets.
    proposed_radius_m: Option<f64>,
    /// What the map shows, metres, padded.
    extent: frame::Extent,
    /// What the map is of, metres, unpadded.
    extent_m: frame::Extent,
    /// True north from the page's up, degrees clockwise.
    north_deg: f64,
}

impl Content {
    fn project(analysis: &Analysis, c: usize, path: &std::path::Path) -> Result<Content> {
        let cat = &analysis.categories[c];
        let name = &cat.summary.name;
        let centre = study_bounds_ll(analysis)
            .map(|r| r.center())
            .unwrap_or(Coord { x: 0.0, y: 0.0 });
        let to_map = Projector {
            work: WorkCrs::choose(Some(&analysis.work_crs), centre)?,
            analysis,
            path,
        };
        let (kind, areas, points) = if !analysis.communities.is_empty() {
            (
                Some(AreaKind::Communities),
                community_areas(analysis, cat, &to_map)?,
                Vec::new(),
            )
        } else {
            demand_areas(analysis, cat, &to_map)?
        };
        let circles = cat
            .service_areas
            .iter()
            .map(|a| to_map.shape("a service area", &a.shape))
            .collect::<Result<Vec<_>>>()?;
        let streets = analysis
            .streets
            .iter()
            .map(|l| to_map.line("a street", l))
            .collect::<Result<Vec<_>>>()?;
        let (gap_areas, gap_points) = category_gaps(cat, &to_map)?;
        let sites = category_sites(analysis, name, &to_map)?;
        let (proposed, proposed_radius_m) = siting_proposals(analysis, name, &to_map)?;
        let extent_m = extent_m(&areas, &points, &sites, &circles);
        let north_deg = frame::north_rotation_deg(&to_map.work, centre)?;
        Ok(Content {
            kind,
            groups: std::sync::OnceLock::new(),
            areas,
            points,
            circles,
            streets,
            gap_areas,
            gap_points,
            sites,
            proposed,
            proposed_radius_m,
            extent: frame::padded(extent_m, 0.03),
            extent_m,
            north_deg,
        })
    }
}

/// What the map is of, longitude and latitude: the communities, else the demand, else the
/// facilities.
fn study_bounds_ll(analysis: &Analysis) -> Option<Rect<f64>> {
    let all_sites: Vec<Coord<f64>> = analysis
        .facilities
        .iter()
        .flat_map(|f| f.sites.iter().copied())
        .collect();
    if !analysis.communities.is_empty() {
        bounds(
            analysis
                .communities
                .iter()
                .map(|k| k.boundary.bounding_rect()),
        )
    } else {
        bounds(analysis.demand.iter().map(|d| match &d.shape {
            DemandShape::Area(a) => a.bounding_rect(),
            DemandShape::Point(p) => Some(Rect::new(*p, *p)),
        }))
    }
    .or_else(|| bounds(all_sites.iter().map(|p| Some(Rect::new(*p, *p)))))
}

/// Projects the run's geometry into its working CRS for a map; errors name the map's file.
struct Projector<'a> {
    work: WorkCrs,
    analysis: &'a Analysis,
    path: &'a std::path::Path,
}

impl Projector<'_> {
    fn problem(&self, what: &str, e: FeatureProblem) -> Error {
        Error::Product {
            path: self.path.to_path_buf(),
            message: format!("cannot project {what} into {}: {e}", self.analysis.work_crs),
        }
    }

    /// A shape in working-CRS metres.
    fn shape(&self, what: &str, g: &MultiPolygon<f64>) -> Result<MultiPolygon<f64>> {
        let mut g = g.clone();
        self.work
            .project(&mut g)
            .map_err(|e| self.problem(what, e))?;
        Ok(g)
    }

    /// A point in working-CRS metres.
    fn point(&self, what: &str, p: Coord<f64>) -> Result<Coord<f64>> {
        let mut p = geo::Point::from(p);
        self.work
            .project(&mut p)
            .map_err(|e| self.problem(what, e))?;
        Ok(p.0)
    }

    /// A line in working-CRS metres.
    fn line(&self, what: &str, l: &geo::LineString<f64>) -> Result<geo::LineString<f64>> {
        let mut l = l.clone();
        self.work
            .project(&mut l)
            .map_err(|e| self.problem(what, e))?;
        Ok(l)
    }
}

/// The communities, filled by the category's covered share, with their labels and groups.
fn community_areas(
    analysis: &Analysis,
    cat: &CategoryResult,
    to_map: &Projector<'_>,
) -> Result<Vec<Area>> {
    let group_of: std::collections::HashMap<&str, usize> = analysis
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.group.as_str(), i))
        .collect();
    let mut areas = Vec::new();
    for (k, community) in analysis.communities.iter().enumerate() {
        let what = format!("community \"{}\"", community.id);
        let s = to_map.shape(&what, &community.boundary)?;
        areas.push(Area {
            anchor: s.interior_point().map(|p| p.0),
            area_m2: geo::Area::unsigned_area(&s),
            shape: s,
            share: cat.communities.get(k).map(|v| v.share).unwrap_or(f64::NAN),
            name: Some(community.name.clone().unwrap_or(community.id.clone())),
            group: community
                .group
                .as_ref()
                .and_then(|g| group_of.get(g.as_str()).copied()),
        });
    }
    Ok(areas)
}

/// Demand points, with whether they are within reach.
type DemandPoints = Vec<(Coord<f64>, bool)>;

/// A run without communities: its demand polygons filled by their covered share (their
/// kind, when there is one) and its demand points with whether they are within reach.
fn demand_areas(
    analysis: &Analysis,
    cat: &CategoryResult,
    to_map: &Projector<'_>,
) -> Result<(Option<AreaKind>, Vec<Area>, DemandPoints)> {
    let mut areas = Vec::new();
    let mut points = Vec::new();
    let mut polygons = false;
    for (i, d) in analysis.demand.iter().enumerate() {
        let covered = cat.demand.get(i).map(|v| v.covered).unwrap_or(f64::NAN);
        let what = format!("demand feature \"{}\"", d.id);
        match &d.shape {
            DemandShape::Area(a) => {
                polygons = true;
                let s = to_map.shape(&what, a)?;
                areas.push(Area {
                    anchor: None,
                    area_m2: geo::Area::unsigned_area(&s),
                    shape: s,
                    share: covered,
                    name: None,
                    group: None,
                });
            }
            DemandShape::Point(p) => points.push((to_map.point(&what, *p)?, covered > 0.0)),
        }
    }
    Ok((polygons.then_some(AreaKind::Demand), areas, points))
}

/// Gap areas and gap points.
type GapLayers = (Vec<MultiPolygon<f64>>, Vec<Coord<f64>>);

/// The category's gaps: the areas, and the points (places no facility reaches).
fn category_gaps(cat: &CategoryResult, to_map: &Projector<'_>) -> Result<GapLayers> {
    let mut gap_areas = Vec::new();
    let mut gap_points = Vec::new();
    for gap in &cat.gaps {
        match &gap.shape {
            GapShape::Area(p) => {
                gap_areas.push(to_map.shape("a gap", &MultiPolygon(vec![p.clone()]))?)
            }
            GapShape::Point(p) => gap_points.push(to_map.point("a gap", *p)?),
        }
    }
    Ok((gap_areas, gap_points))
}

/// The sites of the category's facilities (`name`).
fn category_sites(
    analysis: &Analysis,
    name: &str,
    to_map: &Projector<'_>,
) -> Result<Vec<Coord<f64>>> {
    analysis
        .facilities
        .iter()
        .filter(|f| f.category.as_deref() == Some(name))
        .flat_map(|f| f.sites.iter().copied())
        .map(|p| to_map.point("a facility", p))
        .collect()
}

/// The sites the category's (`name`) first siting proposes, in order, and their reach when
/// it is a straight-line circle.
fn siting_proposals(
    analysis: &Analysis,
    name: &str,
    to_map: &Projector<'_>,
) -> Result<(Vec<Coord<f64>>, Option<f64>)> {
    let siting = analysis.siting.iter().find(|s| s.category == name);
    let proposed = siting
        .map(|s| {
            s.added
                .iter()
                .map(|a| to_map.point("a proposed site", a.lonlat))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    let proposed_radius_m = siting
        .filter(|s| s.distance_model != crate::reach::network::STREET_NETWORK)
        .map(|s| s.radius_m);
    Ok((proposed, proposed_radius_m))
}

/// What the map is of, metres: the areas, else the demand points, else the facilities, else
/// the service areas (else a square kilometre).
fn extent_m(
    areas: &[Area],
    points: &[(Coord<f64>, bool)],
    sites: &[Coord<f64>],
    circles: &[MultiPolygon<f64>],
) -> frame::Extent {
    bounds(areas.iter().map(|a| a.shape.bounding_rect()))
        .or_else(|| bounds(points.iter().map(|(p, _)| Some(Rect::new(*p, *p)))))
        .or_else(|| bounds(sites.iter().map(|p| Some(Rect::new(*p, *p)))))
        .or_else(|| bounds(circles.iter().map(|c| c.bounding_rect())))
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .unwrap_or([-500.0, -500.0, 500.0, 500.0])
}

impl Content {
    /// Whether the areas belong to groups.
    fn has_groups(&self) -> bool {
        self.areas.iter().any(|a| a.group.is_some())
    }

    /// The groups' shapes, made on first use.
    fn groups(&self) -> &[GroupArea] {
        self.groups.get_or_init(|| group_areas(&self.areas))
    }
}

/// The communities of each group dissolved, groups in `analysis.groups` order (those with
/// no community left out).
fn group_areas(areas: &[Area]) -> Vec<GroupArea> {
    let groups = areas
        .iter()
        .filter_map(|a| a.group)
        .max()
        .map_or(0, |g| g + 1);
    let mut members: Vec<Vec<geo::Polygon<f64>>> = vec![Vec::new(); groups];
    for a in areas {
        if let Some(g) = a.group {
            members[g].extend(a.shape.0.iter().cloned());
        }
    }
    members
        .into_iter()
        .enumerate()
        .filter(|(_, polygons)| !polygons.is_empty())
        .map(|(group, polygons)| {
            let shape = crate::reach::union_of(&polygons);
            GroupArea {
                group,
                anchor: label_anchor(&shape),
                area_m2: geo::Area::unsigned_area(&shape),
                shape,
            }
        })
        .collect()
}

/// Where a group's label goes: inside its largest part.
fn label_anchor(shape: &MultiPolygon<f64>) -> Option<Coord<f64>> {
    let largest = shape
        .0
        .iter()
        .max_by(|a, b| geo::Area::unsigned_area(*a).total_cmp(&geo::Area::unsigned_area(*b)))?;
    largest.interior_point().map(|p| p.0)
}

/// The bounding box of some boxes.
fn bounds(rects: impl Iterator<Item = Option<Rect<f64>>>) -> Option<Rect<f64>> {
    rects.flatten().reduce(|a, b| {
        Rect::new(
            Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        )
    })
}

/// A shape in working-CRS metres moved onto the page.
fn on_page(shape: &MultiPolygon<f64>, f: &frame::Frame) -> MultiPolygon<f64> {
    let mut s = shape.clone();
    s.map_coords_in_place(|c| f.place(c));
    s
}

/// The longest file stem of a group's map, in characters.
const STEM_CHARS: usize = 60;

/// File stems for the groups' maps, `maps/<category>/<stem>.png`, one per group in order:
/// the group's name (Chinese kept) made safe for a file name, and never two alike.
///
/// A name comes from data, so path separators, characters Windows refuses (`: * ? " < > |`)
/// and control characters become `_`; leading and trailing dots and spaces go (no `..`, no
/// hidden files); a name left empty becomes `group`; names Windows reserves (`CON`, `NUL`,
/// `COM1`...) and names like the plain fallback `group-<n>` get a leading `_`; and a name is
/// cut to 60 characters. Two names that are the same up to case (file systems that ignore
/// case) get `-2`, `-3`... in order.
pub fn group_file_stems<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    names
        .map(|name| {
            let base = safe_stem(name);
            let mut stem = base.clone();
            let mut k = 1;
            while !taken.insert(stem.to_lowercase()) {
                k += 1;
                stem = format!("{base}-{k}");
            }
            stem
        })
        .collect()
}

/// One name made safe for a file name (see [`group_file_stems`]).
fn safe_stem(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = replaced.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let mut stem: String = trimmed.chars().take(STEM_CHARS).collect();
    // Cutting may leave a trailing dot or space.
    while stem.ends_with(|c: char| c == '.' || c.is_whitespace()) {
        stem.pop();
    }
    if stem.is_empty() {
        return "group".into();
    }
    let upper = stem.to_ascii_uppercase();
    let device = upper.split('.').next().unwrap_or_default();
    let reserved = matches!(device, "CON" | "PRN" | "AUX" | "NUL")
        || ((device.starts_with("COM") || device.starts_with("LPT"))
            && device.len() == 4
            && device[3..].chars().all(|c| c.is_ascii_digit()));
    let fallback_like = upper
        .strip_prefix("GROUP-")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if reserved || fallback_like {
        stem.insert(0, '_');
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(names: &[&str]) -> Vec<String> {
        group_file_stems(names.iter().copied())
    }

    #[test]
    fn chinese_names_are_kept() {
        assert_eq!(stems(&["东海街", "新城镇"]), ["东海街", "新城镇"]);
    }

    #[test]
    fn names_cannot_leave_the_folder() {
        assert_eq!(stems(&["../etc/passwd"]), ["_etc_passwd"]);
        assert_eq!(stems(&[".."]), ["group"]);
        assert_eq!(stems(&["a\\b:c*d?e\"f<g>h|i"]), ["a_b_c_d_e_f_g_h_i"]);
        assert_eq!(stems(&["tab\there\nnew"]), ["tab_here_new"]);
        assert_eq!(stems(&[" .hidden. "]), ["hidden"]);
        assert_eq!(stems(&["", "   "]), ["group", "group-2"]);
    }

    #[test]
    fn reserved_and_fallback_names_are_prefixed() {
        assert_eq!(
            stems(&["CON", "com1", "nul.txt", "group-3", "Group-12", "group-x"]),
            [
                "_CON",
                "_com1",
                "_nul.txt",
                "_group-3",
                "_Group-12",
                "group-x"
            ]
        );
    }

    #[test]
    fn long_names_are_cut_by_characters() {
        let long = "街".repeat(100);
        let s = stems(&[long.as_str()]);
        assert_eq!(s[0].chars().count(), STEM_CHARS);
        assert_eq!(s[0], "街".repeat(STEM_CHARS));
    }

    #[test]
    fn no_two_groups_share_a_file() {
        assert_eq!(
            stems(&["a/b", "a_b", "A_B", "a:b", "a_b-2"]),
            ["a_b", "a_b-2", "A_B-3", "a_b-4", "a_b-2-2"]
        );
    }
}
