//! Community labels: each inside its community, none over another, clear of the facility
//! markers where there is room.

use geo::{Contains, Coord, MultiPolygon, Point};
use rstar::primitives::Rectangle;
use rstar::{RTree, AABB};

use super::frame::Rect;
use super::words::text_width;

/// One line of a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The text.
    pub text: String,
    /// Font size, mm.
    pub size: f64,
    /// Bold.
    pub bold: bool,
}

/// A label to place.
#[derive(Debug, Clone)]
pub struct Request {
    /// Its lines, top first.
    pub lines: Vec<Line>,
    /// Where it would best go (an interior point), page mm.
    pub anchor: Coord<f64>,
    /// The area it labels, page mm: its centre must fall inside.
    pub area: MultiPolygon<f64>,
}

/// A placed label.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Its lines, top first.
    pub lines: Vec<Line>,
    /// Its box, page mm.
    pub rect: Rect,
}

/// Line pitch as a multiple of the font size.
pub const PITCH: f64 = 1.2;

/// Room kept between two labels, mm.
const GAP: f64 = 0.6;

/// The box a label's lines take, centred at `c`.
fn label_box(lines: &[Line], c: Coord<f64>) -> Rect {
    // The halo adds about half its width on every side.
    let w = lines
        .iter()
        .map(|l| text_width(&l.text, l.size, l.bold))
        .fold(0.0, f64::max)
        + 0.6;
    let h: f64 = lines.iter().map(|l| l.size * PITCH).sum();
    Rect {
        x: c.x - w / 2.0,
        y: c.y - h / 2.0,
        w,
        h,
    }
}

/// Places labels in the order given (most important first): each at the best of a few
/// positions around its anchor that stays in `bounds`, clear of the labels already placed,
/// and mostly inside its area (its centre and three of its corners), preferring positions
/// wholly inside and off the `markers`. A label that does not fit is tried with its first
/// line alone (the name without the figure), then left out.
pub fn place(requests: &[Request], markers: &[Rect], bounds: Rect) -> Vec<Placed> {
    let markers = RTree::bulk_load(markers.iter().map(|m| rectangle(*m)).collect());
    // The boxes taken so far, grown by the gap kept between labels.
    let mut taken: RTree<Rectangle<[f64; 2]>> = RTree::new();
    let mut placed: Vec<Placed> = Vec::new();
    for r in requests {
        let all = &r.lines[..];
        let first = &r.lines[..r.lines.len().min(1)];
        for lines in [all, first] {
            if let Some(rect) = best_position(r, lines, &markers, bounds, &taken) {
                taken.insert(rectangle(rect.grown(GAP)));
                placed.push(Placed {
                    lines: lines.to_vec(),
                    rect,
                });
                break;
            }
        }
    }
    placed
}

fn rectangle(r: Rect) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners([r.x, r.y], [r.right(), r.bottom()])
}

/// How many of `boxes` overlap `r` (touching edges do not).
fn overlapping(boxes: &RTree<Rectangle<[f64; 2]>>, r: &Rect) -> usize {
    let envelope = AABB::from_corners([r.x, r.y], [r.right(), r.bottom()]);
    boxes
        .locate_in_envelope_intersecting(&envelope)
        .filter(|b| {
            let (lo, hi) = (b.lower(), b.upper());
            let other = Rect {
                x: lo[0],
                y: lo[1],
                w: hi[0] - lo[0],
                h: hi[1] - lo[1],
            };
            other.overlaps(r)
        })
        .count()
}

fn best_position(
    r: &Request,
    lines: &[Line],
    markers: &RTree<Rectangle<[f64; 2]>>,
    bounds: Rect,
    taken: &RTree<Rectangle<[f64; 2]>>,
) -> Option<Rect> {
    if lines.is_empty() {
        return None;
    }
    let home = label_box(lines, r.anchor);
    let mut best: Option<(f64, Rect)> = None;
    for (dx, dy) in offsets() {
        let c = Coord {
            x: r.anchor.x + dx * home.w,
            y: r.anchor.y + dy * home.h,
        };
        let rect = label_box(lines, c);
        if !bounds.holds(&rect)
            || !r.area.contains(&Point::from(c))
            || overlapping(taken, &rect) > 0
        {
            continue;
        }
        let corners = [
            (rect.x, rect.y),
            (rect.right(), rect.y),
            (rect.x, rect.bottom()),
            (rect.right(), rect.bottom()),
        ]
        .into_iter()
        .filter(|&(x, y)| r.area.contains(&Point::new(x, y)))
        .count();
        if corners < 3 {
            continue;
        }
        let hits = overlapping(markers, &rect) as f64;
        let score = 10.0 * corners as f64 - 4.0 * hits - (dx.abs() + dy.abs());
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, rect));
        }
    }
    best.map(|(_, rect)| rect)
}

/// Offsets from the anchor tried, in label widths and heights, nearest first.
fn offsets() -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for dy in [0.0, -0.6, 0.6, -1.2, 1.2, -1.8, 1.8] {
        for dx in [0.0, -0.35, 0.35, -0.7, 0.7] {
            out.push((dx, dy));
        }
    }
    out.sort_by(|a, b| (a.0.abs() + a.1.abs()).total_cmp(&(b.0.abs() + b.1.abs())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x: f64, y: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side)
        ]])
    }

    fn request(name: &str, anchor: (f64, f64), area: MultiPolygon<f64>) -> Request {
        Request {
            lines: vec![Line {
                text: name.into(),
                size: 2.5,
                bold: true,
            }],
            anchor: Coord {
                x: anchor.0,
                y: anchor.1,
            },
            area,
        }
    }

    const BOUNDS: Rect = Rect {
        x: 0.0,
        y: 0.0,
        w: 100.0,
        h: 100.0,
    };

    #[test]
    fn a_label_sits_on_its_anchor_when_free() {
        let placed = place(
            &[request("金滨社区", (50.0, 50.0), square(30.0, 30.0, 40.0))],
            &[],
            BOUNDS,
        );
        assert_eq!(placed.len(), 1);
        let r = placed[0].rect;
        assert!((r.x + r.w / 2.0 - 50.0).abs() < 1e-9 && (r.y + r.h / 2.0 - 50.0).abs() < 1e-9);
    }

    #[test]
    fn labels_do_not_overlap_and_stay_inside() {
        // Two communities whose anchors nearly coincide: the second label moves within its
        // own area instead of over the first.
        let a = request("金滨社区", (50.0, 50.0), square(20.0, 40.0, 60.0));
        let b = request("康翠社区", (50.0, 51.0), square(20.0, 40.0, 60.0));
        let placed = place(&[a, b], &[], BOUNDS);
        assert_eq!(placed.len(), 2);
        assert!(!placed[0].rect.grown(GAP).overlaps(&placed[1].rect));
        // A label whose area is all taken is left out rather than drawn over another.
        let tiny = request("贻丰社区", (50.0, 50.0), square(49.0, 49.0, 2.0));
        let placed = place(
            &[
                request("金滨社区", (50.0, 50.0), square(20.0, 20.0, 60.0)),
                tiny,
            ],
            &[],
            BOUNDS,
        );
        assert_eq!(placed.len(), 1);
    }

    #[test]
    fn a_label_wider_than_its_area_drops_its_figure_then_itself() {
        // 金滨社区 at 2.5 mm bold is 10.6 mm wide with its halo; the figure line 2.5 mm tall.
        let two_lines = |area| Request {
            lines: vec![
                Line {
                    text: "金滨社区".into(),
                    size: 2.5,
                    bold: true,
                },
                Line {
                    text: "100%".into(),
                    size: 2.1,
                    bold: false,
                },
            ],
            anchor: Coord { x: 50.0, y: 50.0 },
            area,
        };
        // 12 mm wide, 4 mm tall: the name fits (3 mm tall), the name and figure (5.5 mm) not.
        let strip = MultiPolygon(vec![polygon![
            (x: 44.0, y: 48.0), (x: 56.0, y: 48.0), (x: 56.0, y: 52.0), (x: 44.0, y: 52.0)
        ]]);
        let placed = place(&[two_lines(strip)], &[], BOUNDS);
        assert_eq!(placed.len(), 1);
        assert_eq!(placed[0].lines.len(), 1);
        // 8 mm square: nothing fits.
        let placed = place(&[two_lines(square(46.0, 46.0, 8.0))], &[], BOUNDS);
        assert!(placed.is_empty(), "{placed:?}");
    }

    #[test]
    fn labels_move_off_markers_when_the_area_allows() {
        let marker = Rect {
            x: 49.0,
            y: 49.0,
            w: 2.0,
            h: 2.0,
        };
        let placed = place(
            &[request("金滨社区", (50.0, 50.0), square(20.0, 20.0, 60.0))],
            &[marker],
            BOUNDS,
        );
        assert!(!placed[0].rect.overlaps(&marker), "{:?}", placed[0].rect);
    }
}
