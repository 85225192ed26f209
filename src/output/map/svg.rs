//! Writing SVG by hand: numbers to 0.01 mm, escaped text, polygon paths.

use std::fmt::Write;

use geo::{Coord, LineString, MultiPolygon};

use super::frame::Frame;

/// The font families of every map text: CJK-capable sans-serifs first, so a browser,
/// Inkscape or resvg on another machine finds one that draws Chinese names.
pub const FONT_FAMILY: &str =
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";

/// A length on the page, mm to 0.01, without trailing zeros (`12.50` -> `12.5`, `-0` -> `0`).
pub fn num(v: f64) -> String {
    crate::output::text::trimmed(v, 2)
}

/// Text escaped for XML content and attribute values.
pub use crate::output::text::escape_xml as escape;

/// Path data of a polygon set (working-CRS metres) on the page: one closed subpath per ring,
/// for `fill-rule="evenodd"`. Points that round to the same 0.01 mm are written once; rings
/// that shrink below three points are left out.
pub fn polygon_path(shape: &MultiPolygon<f64>, frame: &Frame) -> String {
    let mut d = String::new();
    for polygon in &shape.0 {
        ring_path(&mut d, polygon.exterior(), frame);
        for hole in polygon.interiors() {
            ring_path(&mut d, hole, frame);
        }
    }
    d
}

/// The points of a line on the page, as written, without repeats.
fn page_points(line: &LineString<f64>, frame: &Frame) -> Vec<(String, String)> {
    let mut points: Vec<(String, String)> = Vec::with_capacity(line.0.len());
    for c in &line.0 {
        let p = frame.place(*c);
        let here = (num(p.x), num(p.y));
        if points.last() != Some(&here) {
            points.push(here);
        }
    }
    points
}

/// An open line as SVG path data, in page millimetres; empty if it has under two points.
pub fn line_path(line: &LineString<f64>, frame: &Frame) -> String {
    let points = page_points(line, frame);
    let mut d = String::new();
    if points.len() < 2 {
        return d;
    }
    for (i, (x, y)) in points.iter().enumerate() {
        let _ = write!(d, "{}{x} {y}", if i == 0 { "M" } else { "L" });
    }
    d
}

fn ring_path(d: &mut String, ring: &LineString<f64>, frame: &Frame) {
    let mut points = page_points(ring, frame);
    // The closing point repeats the first.
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    if points.len() < 3 {
        return;
    }
    for (i, (x, y)) in points.iter().enumerate() {
        let _ = write!(d, "{}{x} {y}", if i == 0 { "M" } else { "L" });
    }
    d.push('Z');
}

/// One line of text.
#[derive(Debug, Clone, Copy)]
pub struct TextStyle<'a> {
    /// Font size, mm.
    pub size: f64,
    /// Bold.
    pub bold: bool,
    /// Fill colour.
    pub fill: &'a str,
    /// `start`, `middle` or `end`.
    pub anchor: &'a str,
}

/// A `<text>` element with its baseline at `at`.
pub fn text(out: &mut String, at: Coord<f64>, style: TextStyle<'_>, content: &str) {
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\"{}{} fill=\"{}\">{}</text>",
        num(at.x),
        num(at.y),
        num(style.size),
        if style.bold {
            " font-weight=\"bold\""
        } else {
            ""
        },
        match style.anchor {
            "start" => String::new(),
            a => format!(" text-anchor=\"{a}\""),
        },
        style.fill,
        escape(content)
    );
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::map::frame::Rect;
    use geo::polygon;

    #[test]
    fn numbers_keep_hundredths_of_a_millimetre() {
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(12.345_678), "12.35");
        assert_eq!(num(3.0), "3");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(-1.204), "-1.2");
        assert_eq!(num(100.0), "100");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("A & B <\"c\"> 'd' 金滨社区"),
            "A &amp; B &lt;&quot;c&quot;&gt; &#39;d&#39; 金滨社区"
        );
        assert_eq!(escape("a\u{1}b\nc"), "ab&#10;c");
    }

    #[test]
    fn polygons_become_closed_paths_on_the_page() {
        // 0.1 mm per metre: a 100 m square with a 20 m hole.
        let frame = Frame::fit(
            [0.0, 0.0, 100.0, 100.0],
            Rect {
                x: 0.0,
                y: 0.0,
                w: 10.0,
                h: 10.0,
            },
        );
        let square = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0),
                       (x: 0.0, y: 100.0), (x: 0.0, y: 0.0)],
            interiors: [[(x: 40.0, y: 40.0), (x: 40.0, y: 60.0), (x: 60.0, y: 60.0),
                         (x: 60.0, y: 40.0), (x: 40.0, y: 40.0)]],
        );
        let d = polygon_path(&MultiPolygon(vec![square]), &frame);
        assert_eq!(d, "M0 10L10 10L10 0L0 0ZM4 6L4 4L6 4L6 6Z");
        // A sliver thinner than 0.01 mm is dropped.
        let sliver = polygon![(x: 0.0, y: 0.0), (x: 0.01, y: 0.0), (x: 0.0, y: 0.01)];
        assert_eq!(polygon_path(&MultiPolygon(vec![sliver]), &frame), "");
    }
}
