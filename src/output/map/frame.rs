//! From the working CRS to the page: the map frame, the scale bar and north.
//!
//! Page coordinates are millimetres from the sheet's top-left corner, y down. The study area
//! is drawn at one uniform scale (working-CRS metres to mm), so the scale bar is true in
//! every direction the working CRS is (a UTM zone: to within 0.1% across a city).

use geo::{Coord, Point};

use crate::error::Result;
use crate::input::crs::WorkCrs;

/// A rectangle on the page, mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// Right edge.
    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    /// Bottom edge.
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }

    /// Whether the two rectangles overlap (touching edges do not).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.bottom() && o.y < self.bottom()
    }

    /// Whether `o` lies wholly inside.
    pub fn holds(&self, o: &Rect) -> bool {
        o.x >= self.x && o.y >= self.y && o.right() <= self.right() && o.bottom() <= self.bottom()
    }

    /// The rectangle grown by `d` on every side.
    pub fn grown(&self, d: f64) -> Rect {
        Rect {
            x: self.x - d,
            y: self.y - d,
            w: self.w + 2.0 * d,
            h: self.h + 2.0 * d,
        }
    }
}

/// An extent in working-CRS metres: west, south, east, north.
pub type Extent = [f64; 4];

/// The smallest extent side drawn, m: a single point is shown with 500 m around it.
const MIN_EXTENT_M: f64 = 1000.0;

/// The extent padded by `share` of its larger side on every side, and widened to at least
/// [`MIN_EXTENT_M`] each way.
pub fn padded(extent: Extent, share: f64) -> Extent {
    let [w, s, e, n] = extent;
    let pad = (e - w).max(n - s) * share;
    let half_x = ((e - w) / 2.0 + pad).max(MIN_EXTENT_M / 2.0);
    let half_y = ((n - s) / 2.0 + pad).max(MIN_EXTENT_M / 2.0);
    let (cx, cy) = ((w + e) / 2.0, (s + n) / 2.0);
    [cx - half_x, cy - half_y, cx + half_x, cy + half_y]
}

/// The height of a map frame `width` mm wide that holds `extent` at its aspect, kept
/// between `min_h` and `max_h` (a very wide or very tall study area is centred in it).
pub fn frame_height(extent: Extent, width: f64, min_h: f64, max_h: f64) -> f64 {
    let [w, s, e, n] = extent;
    (width * (n - s) / (e - w)).clamp(min_h, max_h)
}

/// Where the study area sits on the page: metres to mm at one scale, centred in the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// The map frame on the page.
    pub rect: Rect,
    mm_per_m: f64,
    /// The working-CRS point drawn at the frame's centre.
    centre: Coord<f64>,
}

impl Frame {
    /// Fits `extent` (metres) into `rect` (mm), as large as it goes, centred.
    pub fn fit(extent: Extent, rect: Rect) -> Frame {
        let [w, s, e, n] = extent;
        let mm_per_m = (rect.w / (e - w)).min(rect.h / (n - s));
        Frame {
            rect,
            mm_per_m,
            centre: Coord {
                x: (w + e) / 2.0,
                y: (s + n) / 2.0,
            },
        }
    }

    /// Millimetres on the page per metre on the ground.
    pub fn mm_per_m(&self) -> f64 {
        self.mm_per_m
    }

    /// The scale as 1:N when the sheet is printed at its size.
    pub fn scale_denominator(&self) -> f64 {
        1000.0 / self.mm_per_m
    }

    /// The ground the frame shows, working-CRS metres.
    pub fn ground(&self) -> Extent {
        let half_w = self.rect.w / 2.0 / self.mm_per_m;
        let half_h = self.rect.h / 2.0 / self.mm_per_m;
        let c = self.centre;
        [c.x - half_w, c.y - half_h, c.x + half_w, c.y + half_h]
    }

    /// A working-CRS point on the page, mm.
    pub fn place(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: self.rect.x + self.rect.w / 2.0 + (c.x - self.centre.x) * self.mm_per_m,
            y: self.rect.y + self.rect.h / 2.0 - (c.y - self.centre.y) * self.mm_per_m,
        }
    }
}

/// A scale bar: a round length and how long it is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaleBar {
    /// Ground length, m.
    pub metres: f64,
    /// Drawn length, mm.
    pub mm: f64,
    /// Alternating black and white segments.
    pub segments: usize,
}

impl ScaleBar {
    /// The longest round length (1, 2 or 5 times a power of ten metres) that fits in
    /// `max_mm` at `mm_per_m`.
    pub fn fitting(mm_per_m: f64, max_mm: f64) -> ScaleBar {
        let metres = round_length(max_mm / mm_per_m);
        let leading = metres / 10f64.powi(metres.log10().floor() as i32);
        ScaleBar {
            metres,
            mm: metres * mm_per_m,
            segments: if (leading - 5.0).abs() < 0.5 { 5 } else { 4 },
        }
    }
}

/// The largest of 1, 2 or 5 times a power of ten that is at most `max` (`max` > 0).
pub fn round_length(max: f64) -> f64 {
    let mut power = 10f64.powi(max.log10().floor() as i32);
    // log10 can land a hair off at exact powers of ten.
    if power * 10.0 <= max {
        power *= 10.0;
    }
    if power > max {
        power /= 10.0;
    }
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&l| l <= max)
        .unwrap_or(power)
}

/// 1:N rounded for print: three significant figures (19,432 -> 19,400).
pub fn round_scale(denominator: f64) -> f64 {
    if !(denominator.is_finite() && denominator > 0.0) {
        return denominator;
    }
    let power = 10f64.powi(denominator.log10().floor() as i32 - 2).max(1.0);
    (denominator / power).round() * power
}

/// How far true north turns from the page's up at `centre` (WGS 84 lon/lat), degrees,
/// clockwise: the working CRS's grid convergence there.
pub fn north_rotation_deg(work: &WorkCrs, centre: Coord<f64>) -> Result<f64> {
    let mut here = Point::from(centre);
    let mut north = Point::new(centre.x, (centre.y + 0.01).min(90.0));
    let problem = |e: crate::error::FeatureProblem| crate::error::Error::Crs {
        crs: work.crs().to_string(),
        message: format!("cannot find north on the map: {e}"),
    };
    work.project(&mut here).map_err(problem)?;
    work.project(&mut north).map_err(problem)?;
    let (dx, dy) = (north.x() - here.x(), north.y() - here.y());
    Ok(dx.atan2(dy).to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn a_study_area_fills_the_frame_at_one_scale() {
        // 3,800 m x 2,000 m into 190 mm x 100 mm: 0.05 mm per metre both ways.
        let rect = Rect {
            x: 10.0,
            y: 30.0,
            w: 190.0,
            h: 100.0,
        };
        let f = Frame::fit([500_000.0, 4_300_000.0, 503_800.0, 4_302_000.0], rect);
        assert_abs_diff_eq!(f.mm_per_m(), 0.05, epsilon = 1e-12);
        assert_abs_diff_eq!(f.scale_denominator(), 20_000.0, epsilon = 1e-6);
        let sw = f.place(Coord {
            x: 500_000.0,
            y: 4_300_000.0,
        });
        assert_abs_diff_eq!(sw.x, 10.0, epsilon = 1e-9);
        assert_abs_diff_eq!(sw.y, 130.0, epsilon = 1e-9);
        let ne = f.place(Coord {
            x: 503_800.0,
            y: 4_302_000.0,
        });
        assert_abs_diff_eq!(ne.x, 200.0, epsilon = 1e-9);
        assert_abs_diff_eq!(ne.y, 30.0, epsilon = 1e-9);
        // 1,000 m east and 500 m north of the south-west corner: 50 mm right, 25 mm up.
        let p = f.place(Coord {
            x: 501_000.0,
            y: 4_300_500.0,
        });
        assert_abs_diff_eq!(p.x, 60.0, epsilon = 1e-9);
        assert_abs_diff_eq!(p.y, 105.0, epsilon = 1e-9);
    }

    #[test]
    fn a_square_area_is_centred_in_a_wide_frame() {
        // 1,000 m square into 190 x 100 mm: the height limits, 0.1 mm/m, 100 mm wide,
        // 45 mm of frame left and right.
        let rect = Rect {
            x: 10.0,
            y: 30.0,
            w: 190.0,
            h: 100.0,
        };
        let f = Frame::fit([0.0, 0.0, 1000.0, 1000.0], rect);
        assert_abs_diff_eq!(f.mm_per_m(), 0.1, epsilon = 1e-12);
        let nw = f.place(Coord { x: 0.0, y: 1000.0 });
        assert_abs_diff_eq!(nw.x, 55.0, epsilon = 1e-9);
        assert_abs_diff_eq!(nw.y, 30.0, epsilon = 1e-9);
    }

    #[test]
    fn frames_follow_the_aspect_within_bounds() {
        let wide = [0.0, 0.0, 3800.0, 2000.0];
        assert_abs_diff_eq!(frame_height(wide, 190.0, 95.0, 185.0), 100.0);
        assert_abs_diff_eq!(
            frame_height([0.0, 0.0, 10_000.0, 1000.0], 190.0, 95.0, 185.0),
            95.0
        );
        assert_abs_diff_eq!(
            frame_height([0.0, 0.0, 1000.0, 5000.0], 190.0, 95.0, 185.0),
            185.0
        );
    }

    #[test]
    fn padding_keeps_the_centre_and_a_minimum_size() {
        // 2,000 x 1,000 m padded by 3% of 2,000 m = 60 m each side.
        assert_eq!(
            padded([0.0, 0.0, 2000.0, 1000.0], 0.03),
            [-60.0, -60.0, 2060.0, 1060.0]
        );
        // A single point gets 500 m around it.
        assert_eq!(
            padded([100.0, 200.0, 100.0, 200.0], 0.03),
            [-400.0, -300.0, 600.0, 700.0]
        );
    }

    #[test]
    fn round_lengths() {
        assert_eq!(round_length(800.0), 500.0);
        assert_eq!(round_length(1000.0), 1000.0);
        assert_eq!(round_length(999.9), 500.0);
        assert_eq!(round_length(1999.0), 1000.0);
        assert_eq!(round_length(2000.0), 2000.0);
        assert_eq!(round_length(4999.0), 2000.0);
        assert_eq!(round_length(0.3), 0.2);
        assert_eq!(round_length(73.0), 50.0);
    }

    #[test]
    fn a_scale_bar_is_true_to_the_frame() {
        // 0.05 mm per metre (1:20,000) and at most 40 mm: 800 m fit, 500 m is drawn 25 mm
        // long in 5 segments of 100 m.
        let bar = ScaleBar::fitting(0.05, 40.0);
        assert_eq!(bar.metres, 500.0);
        assert_abs_diff_eq!(bar.mm, 25.0, epsilon = 1e-9);
        assert_eq!(bar.segments, 5);
        // 1:50,000 (0.02 mm/m), at most 45 mm: 2,250 m fit, 2 km drawn 40 mm, 4 segments.
        let bar = ScaleBar::fitting(0.02, 45.0);
        assert_eq!(bar.metres, 2000.0);
        assert_abs_diff_eq!(bar.mm, 40.0, epsilon = 1e-9);
        assert_eq!(bar.segments, 4);
    }

    #[test]
    fn scales_round_to_three_figures() {
        assert_eq!(round_scale(19_432.0), 19_400.0);
        assert_eq!(round_scale(20_000.0), 20_000.0);
        assert_eq!(round_scale(1_234_567.0), 1_230_000.0);
        assert_eq!(round_scale(87.4), 87.0);
    }

    #[test]
    fn true_north_turns_by_the_utm_convergence() {
        // TEDA, 117.715 E 39.045 N, in UTM 50N (central meridian 117 E): the grid
        // convergence is atan(tan(0.715 deg) * sin(39.045 deg)) = 0.4504 deg; east of the
        // central meridian true north leans west of grid north, so the arrow turns
        // anticlockwise.
        let teda = Coord {
            x: 117.715,
            y: 39.045,
        };
        let work = WorkCrs::choose(None, teda).unwrap();
        let expected = -((0.715f64).to_radians().tan() * (39.045f64).to_radians().sin())
            .atan()
            .to_degrees();
        assert_abs_diff_eq!(expected, -0.4504, epsilon = 1e-4);
        assert_abs_diff_eq!(
            north_rotation_deg(&work, teda).unwrap(),
            expected,
            epsilon = 0.005
        );
        // On the central meridian, none.
        let on_meridian = Coord { x: 117.0, y: 39.0 };
        assert_abs_diff_eq!(
            north_rotation_deg(&work, on_meridian).unwrap(),
            0.0,
            epsilon = 1e-6
        );
    }
}
