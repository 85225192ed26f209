//! SVG to PNG with resvg, using the system's fonts (loaded once), at a resolution given as
//! dots per inch at A4 width.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg;
use usvg::fontdb;

use super::words::is_cjk;
use crate::error::{Error, Result};

/// Width of the sheet the resolution refers to, mm (A4).
pub const SHEET_WIDTH_MM: f64 = 210.0;

/// The system's fonts, loaded on first use and shared by every map.
pub fn system_fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            db.load_system_fonts();
            Arc::new(db)
        })
        .clone()
}

/// The PNG width for `dpi` at A4 width, pixels.
pub fn png_width(dpi: f64) -> u32 {
    (SHEET_WIDTH_MM / 25.4 * dpi).round() as u32
}

/// Characters of the tree's text that no font could draw (glyph 0, the empty box).
fn missing_glyphs(group: &usvg::Group, out: &mut BTreeSet<char>) {
    for node in group.children() {
        match node {
            usvg::Node::Group(g) => missing_glyphs(g, out),
            usvg::Node::Text(t) => {
                for span in t.layouted() {
                    for g in span.positioned_glyphs.iter().filter(|g| g.id.0 == 0) {
                        out.extend(g.text.chars().filter(|c| !c.is_whitespace()));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Checks that the fonts draw the map's text: some font at all when there is text, and a
/// font for every Chinese (CJK) character, so a missing font is an error and not a map of
/// empty boxes.
fn check_fonts(svg: &str, tree: &usvg::Tree) -> Result<()> {
    if tree.fontdb().is_empty() && svg.contains("<text") {
        return Err(Error::MissingFont {
            missing: "no fonts are installed, and the maps have text".into(),
        });
    }
    let mut missing = BTreeSet::new();
    missing_glyphs(tree.root(), &mut missing);
    let cjk: Vec<char> = missing.into_iter().filter(|&c| is_cjk(c)).collect();
    if cjk.is_empty() {
        return Ok(());
    }
    let shown: String = cjk.iter().take(12).collect();
    let more = if cjk.len() > 12 { "..." } else { "" };
    Err(Error::MissingFont {
        missing: format!(
            "no installed font has the Chinese (CJK) characters {shown}{more} of the map text"
        ),
    })
}

/// Renders `svg` to PNG `png_width(dpi)` pixels wide on white, with `fonts`; the PNG says its
/// resolution, so it is pasted into a document at A4 width.
pub fn render_png(svg: &str, dpi: f64, fonts: Arc<fontdb::Database>) -> Result<Vec<u8>> {
    if !(dpi.is_finite() && (30.0..=1200.0).contains(&dpi)) {
        return Err(Error::Setting {
            setting: "map_dpi".into(),
            message: format!("is {dpi}, expected a resolution from 30 to 1200 dots per inch"),
        });
    }
    let options = usvg::Options {
        fontdb: fonts,
        ..usvg::Options::default()
    };
    let failed = |message: String| Error::Product {
        path: "maps".into(),
        message,
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| failed(format!("the map's SVG does not parse: {e}")))?;
    check_fonts(svg, &tree)?;
    let size = tree.size();
    let width = png_width(dpi);
    let scale = width as f32 / size.width();
    let height = (size.height() * scale).round().max(1.0) as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| failed(format!("cannot make a {width} x {height} pixel image")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    encode_png(&pixmap, dpi).map_err(|e| failed(format!("cannot encode the PNG: {e}")))
}

/// An opaque pixmap as an 8-bit RGB PNG with its resolution (pHYs).
fn encode_png(
    pixmap: &tiny_skia::Pixmap,
    dpi: f64,
) -> std::result::Result<Vec<u8>, png::EncodingError> {
    // Opaque, so premultiplied and straight colour are the same.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let per_metre = (dpi / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: per_metre,
            yppu: per_metre,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png: &[u8]) -> (u32, u32, Vec<u8>, Option<png::PixelDimensions>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let dims = reader.info().pixel_dims;
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf, dims)
    }

    fn dark_pixels(rgb: &[u8]) -> usize {
        rgb.chunks_exact(3)
            .filter(|p| (p[0] as u32 + p[1] as u32 + p[2] as u32) < 3 * 128)
            .count()
    }

    fn word_svg(word: &str) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40mm\" height=\"15mm\" \
             viewBox=\"0 0 40 15\"><text x=\"2\" y=\"11\" font-size=\"9\" \
             font-family=\"{}\">{word}</text></svg>",
            super::super::svg::FONT_FAMILY
        )
    }

    #[test]
    fn widths_follow_the_resolution_at_a4() {
        assert_eq!(png_width(150.0), 1240);
        assert_eq!(png_width(300.0), 2480);
        assert_eq!(png_width(96.0), 794);
    }

    #[test]
    fn a_chinese_word_is_drawn_in_glyphs() {
        // The same box with and without 社区 (the test machines have fonts-noto-cjk).
        let fonts = system_fonts();
        let word = render_png(&word_svg("社区"), 150.0, fonts.clone()).unwrap();
        let empty = render_png(&word_svg(""), 150.0, fonts).unwrap();
        let (w, h, rgb, dims) = decode(&word);
        // 40 mm at 150 dpi on a 210 mm sheet: the PNG is always sheet-wide.
        assert_eq!(w, 1240);
        assert_eq!(h, (15.0f32 * 1240.0 / 40.0).round() as u32);
        let dims = dims.unwrap();
        assert_eq!(dims.xppu, 5906); // 150 / 0.0254
        assert_eq!(dims.unit, png::Unit::Meter);
        let (_, _, blank, _) = decode(&empty);
        assert_eq!(dark_pixels(&blank), 0);
        // Two 9 mm ideographs drawn at 1240 px per 40 mm: a box of 2 x 279 x 279 px,
        // of which strokes cover a good part; empty boxes (notdef) would be thin outlines.
        let dark = dark_pixels(&rgb);
        assert!(dark > 12_000, "only {dark} dark pixels: glyphs missing?");
    }

    #[test]
    fn cjk_text_without_a_cjk_font_is_an_error() {
        let none = Arc::new(fontdb::Database::new());
        let err = match render_png(&word_svg("金滨社区"), 150.0, none) {
            Ok(_) => panic!("drew text without fonts"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("no fonts are installed"), "{err}");
        assert!(err.contains("fonts-noto-cjk"), "{err}");
        assert!(err.contains("make deps"), "{err}");

        // A font without CJK: the characters are named.
        let system = system_fonts();
        let latin = system
            .faces()
            .find(|f| f.families.iter().any(|(name, _)| name == "DejaVu Sans"))
            .expect("DejaVu Sans on the test machine (fonts-dejavu-core), a font without CJK");
        // A machine with DejaVu Sans alone, as fontconfig sets it up: the sans-serif font.
        let mut db = fontdb::Database::new();
        if let fontdb::Source::File(path) = &latin.source {
            db.load_font_file(path).unwrap();
        }
        db.set_sans_serif_family("DejaVu Sans");
        let db = Arc::new(db);
        let err = match render_png(&word_svg("Map of 金滨社区"), 150.0, db.clone()) {
            Ok(_) => panic!("drew Chinese without a Chinese font"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("characters 区滨社金 of"), "{err}");
        assert!(err.contains("fonts-noto-cjk"), "{err}");
        // Latin text alone needs no CJK font.
        let png = render_png(&word_svg("Map"), 150.0, db).unwrap();
        assert!(dark_pixels(&decode(&png).2) > 1000);
    }

    #[test]
    fn resolutions_out_of_range_are_refused() {
        let err = match render_png(&word_svg("a"), 5000.0, system_fonts()) {
            Ok(_) => panic!("rendered at 5000 dpi"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("map_dpi: is 5000"), "{err}");
    }
}
