//! Text on the map: how wide a line is drawn, wrapping, and the map's words in English and
//! Chinese.

use crate::input::config::Lang;

/// Whether a character needs a CJK font: ideographs, kana, hangul, CJK punctuation and
/// full-width forms.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF   // radicals
        | 0x3000..=0x303F // CJK symbols and punctuation
        | 0x3040..=0x30FF // kana
        | 0x3100..=0x312F // bopomofo
        | 0x3130..=0x318F // hangul compatibility jamo
        | 0x31C0..=0x9FFF // strokes, enclosed, compatibility, ext. A, unified ideographs
        | 0xAC00..=0xD7AF // hangul syllables
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0xFE30..=0xFE4F // CJK compatibility forms
        | 0xFF00..=0xFFEF // half- and full-width forms
        | 0x20000..=0x3FFFF) // ext. B onwards
}

/// The advance of a character in Noto Sans CJK SC (whose Latin is Source Sans), in em: an
/// estimate, measured against resvg's layout of the font (within a few percent on words),
/// for fitting and wrapping text without loading a font.
fn advance(c: char) -> f64 {
    if is_cjk(c) {
        return 1.0;
    }
    match c {
        ' ' | '\u{a0}' => 0.23,
        'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '!' | '|' | '\'' | 'I' => 0.29,
        'f' | '(' | ')' | '[' | ']' | '-' | '/' | '"' => 0.35,
        't' => 0.37,
        'r' => 0.4,
        'm' | 'w' => 0.9,
        'M' | 'W' | '%' => 0.9,
        '0'..='9' => 0.56,
        'a'..='z' => 0.56,
        'A'..='Z' => 0.64,
        _ => 0.62,
    }
}

/// How wide `s` is drawn at `size` mm, mm; bold Latin is 6% wider (bold ideographs are not).
pub fn text_width(s: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = s
        .chars()
        .map(|c| {
            let a = advance(c);
            if bold && !is_cjk(c) {
                a * 1.06
            } else {
                a
            }
        })
        .sum();
    em * size
}

/// Words that stay on the line of the number before them.
fn is_unit(word: &str) -> bool {
    matches!(word, "m" | "km" | "米" | "千米" | "%" | "min" | "km/h")
}

/// Closing punctuation that must not start a line.
fn no_break_before(c: char) -> bool {
    matches!(
        c,
        '）' | '，'
            | '。'
            | '、'
            | '：'
            | '；'
            | '！'
            | '？'
            | '”'
            | '’'
            | '》'
            | ')'
            | ','
            | '.'
            | ':'
    )
}

/// Opening punctuation that must not end a line, and the full-width colon, which keeps a
/// label with its value ("投影：EPSG:32650").
fn no_break_after(c: char) -> bool {
    matches!(c, '（' | '“' | '‘' | '《' | '(' | '：')
}

/// Pieces a line may break between: words (with the space before them), single CJK
/// characters (with any closing punctuation after them).
fn pieces(text: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for (w, word) in text.split(' ').filter(|w| !w.is_empty()).enumerate() {
        let mut first = true;
        let mut run = String::new();
        for c in word.chars() {
            let joins = run.is_empty()
                || no_break_before(c)
                || run.chars().last().is_some_and(no_break_after);
            let cjk = is_cjk(c) && !no_break_before(c);
            let last_cjk = run.chars().last().is_some_and(is_cjk);
            if !joins && (cjk || last_cjk) {
                out.push((first && w > 0, std::mem::take(&mut run)));
                first = false;
            }
            run.push(c);
        }
        if !run.is_empty() {
            match out.last_mut() {
                // "1,000 m": the unit stays with its number.
                Some((_, last)) if first && is_unit(&run) => {
                    last.push(' ');
                    last.push_str(&run);
                }
                _ => out.push((first && w > 0, run)),
            }
        }
    }
    out
}

/// `text` broken into lines no wider than `max_w` mm (with 3% to spare) where it can be (a single word wider
/// than that stays whole).
pub fn wrap(text: &str, size: f64, bold: bool, max_w: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for (space, piece) in pieces(text) {
        let candidate = if line.is_empty() {
            piece.clone()
        } else if space {
            format!("{line} {piece}")
        } else {
            format!("{line}{piece}")
        };
        // 3% to spare: the widths are estimates.
        if !line.is_empty() && text_width(&candidate, size, bold) * 1.03 > max_w {
            lines.push(std::mem::replace(&mut line, piece));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Notes joined by `sep` into lines no wider than `max_w` mm, breaking between notes; a
/// note is broken inside only where it does not fit on a line of its own.
pub fn wrap_notes(notes: &[String], sep: &str, size: f64, max_w: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for note in notes {
        let candidate = if line.is_empty() {
            note.clone()
        } else {
            format!("{line}{sep}{note}")
        };
        if text_width(&candidate, size, false) * 1.03 <= max_w {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if text_width(note, size, false) * 1.03 <= max_w {
            line = note.clone();
        } else {
            let mut parts = wrap(note, size, false, max_w);
            line = parts.pop().unwrap_or_default();
            lines.extend(parts);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The distance model in the language (the English name when it has no translation).
pub fn distance_model(name: &str, lang: Lang) -> String {
    match (lang, name) {
        (Lang::Zh, "straight-line circle") => "直线距离圆".into(),
        (Lang::En, "street network") => "walk along streets".into(),
        (Lang::Zh, "street network") => "沿路网步行".into(),
        _ => name.to_string(),
    }
}

/// How the reach was given ("15 min at 4 km/h"), in the language.
pub fn radius_basis(basis: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return basis.to_string();
    }
    // Inside the footer's parentheses: a comma, not a second pair.
    match crate::output::text::walking_basis(basis) {
        Some((min, speed)) => format!("步行 {min} 分钟，{speed} 千米/小时"),
        None => crate::output::text::metres_basis(basis),
    }
}

/// The fixed words of a map, in one language.
pub struct Words {
    /// Legend heading of the community fill, with `{r}` for the radius.
    pub share_heading: &'static str,
    /// Legend heading of the demand-polygon fill (no communities).
    pub demand_share_heading: &'static str,
    /// Legend heading of the symbols.
    pub symbols_heading: &'static str,
    /// `{n}` facilities.
    pub facilities: &'static str,
    /// `{k}` of them outside the study area.
    pub outside: &'static str,
    /// `{n}` proposed sites, numbered in the order to add them.
    pub proposed: &'static str,
    /// Service area, with `{r}` and `{model}`.
    pub circles: &'static str,
    /// Gaps, with `{n}`.
    pub gaps: &'static str,
    /// No gaps.
    pub no_gaps: &'static str,
    /// Community boundary.
    pub boundary: &'static str,
    /// Community boundaries left out at a city's scale.
    pub boundary_not_drawn: &'static str,
    /// Group boundaries labelled with their share, with `{group}` (district, street).
    pub group_boundary: &'static str,
    /// What is faded on a group's map, with `{name}` (the group).
    pub faded: &'static str,
    /// A demand point within reach.
    pub demand_point: &'static str,
    /// Scale heading.
    pub scale: &'static str,
    /// The ratio scale's note, with `{n}`.
    pub ratio: &'static str,
    /// Distance model note, with `{model}`, `{r}` and `{basis}`.
    pub model: &'static str,
    /// Projection note, with `{crs}`.
    pub projection: &'static str,
    /// Credit of the map itself.
    pub credit: &'static str,
    /// Separator between footer notes.
    pub sep: &'static str,
}

/// The words of `lang`.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
    }
}

const EN: Words = Words {
    share_heading: "Share of each community's area within {r}",
    demand_share_heading: "Share of each area within {r}",
    symbols_heading: "Facilities and reach",
    facilities: "Facility ({n} in all)",
    outside: "{k} outside the communities",
    proposed: "Proposed site ({n}), numbered in the order to build; dashed: its reach",
    circles: "Within {r} of a facility ({model})",
    gaps: "Gap: not within reach ({n})",
    no_gaps: "Gap: not within reach (none)",
    boundary: "Community boundary",
    boundary_not_drawn: "Community boundaries: not drawn at this scale",
    group_boundary: "Boundary of each {group}, labelled with its share",
    faded: "Outside {name}: faded",
    demand_point: "Residents within reach",
    scale: "Scale",
    ratio: "1:{n} printed at A4 width",
    model: "Distance: {model}, radius {r} ({basis})",
    projection: "Projection: {crs}",
    credit: "Map: lifecircle",
    sep: " · ",
};

const ZH: Words = Words {
    share_heading: "社区面积中 {r}内可达的比例",
    demand_share_heading: "面积中 {r}内可达的比例",
    symbols_heading: "设施与服务范围",
    facilities: "设施（共 {n} 处）",
    outside: "其中 {k} 处不在社区内",
    proposed: "拟新增设施（{n} 处，按建设顺序编号；虚线为其服务范围）",
    circles: "设施 {r}服务范围（{model}）",
    gaps: "覆盖盲区（{n} 处）",
    no_gaps: "覆盖盲区（无）",
    boundary: "社区边界",
    boundary_not_drawn: "社区边界：此比例尺下不绘制",
    group_boundary: "各{group}边界，注记其覆盖比例",
    faded: "{name}以外：淡化显示",
    demand_point: "可达的居民点",
    scale: "比例尺",
    ratio: "1:{n}（按 A4 宽度打印）",
    model: "距离模型：{model}，半径 {r}（{basis}）",
    projection: "投影：{crs}",
    credit: "制图：lifecircle",
    sep: " · ",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::text::distance_in as distance;

    #[test]
    fn cjk_is_recognised() {
        assert!(is_cjk('社'));
        assert!(is_cjk('（'));
        assert!(is_cjk('：'));
        assert!(!is_cjk('a'));
        assert!(!is_cjk('%'));
        assert!(!is_cjk('–'));
    }

    #[test]
    fn widths_count_cjk_as_one_em() {
        assert!((text_width("金滨社区", 2.5, false) - 10.0).abs() < 1e-9);
        assert!((text_width("金滨社区", 2.5, true) - 10.0).abs() < 1e-9);
        // resvg draws this 21.88 mm wide at 1 cm (ink, so a little under the advance).
        let latin = text_width("Share of each community's area within 1,000 m", 1.0, false);
        assert!((21.9..23.5).contains(&latin), "{latin}");
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_between_ideographs() {
        let lines = wrap(
            "Share of each community's area within 1,000 m",
            3.0,
            false,
            40.0,
        );
        assert_eq!(
            lines,
            vec!["Share of each community's", "area within 1,000 m"]
        );
        for l in &lines {
            assert!(text_width(l, 3.0, false) <= 40.0, "{l}");
        }
        // Ideographs of 3 mm in 13 mm: four a line; brackets stay with what they hold.
        assert_eq!(
            wrap("社区面积中可达（比）", 3.0, false, 13.0),
            vec!["社区面积", "中可达", "（比）"]
        );
        // A word too long for the line stays whole.
        assert_eq!(wrap("Supercalifragilistic", 3.0, false, 10.0).len(), 1);
        // A full-width colon keeps its value: no line ends with it.
        assert_eq!(
            wrap("投影：EPSG:32650", 3.0, false, 20.0),
            vec!["投", "影：EPSG:32650"]
        );
        // Units stay with their numbers.
        assert_eq!(
            wrap("Within 1,000 m of it", 3.0, false, 14.0),
            vec!["Within", "1,000 m", "of it"]
        );
        assert!(wrap("", 3.0, false, 10.0).is_empty());
    }

    #[test]
    fn notes_wrap_between_notes() {
        let notes: Vec<String> = [
            "数据：示例",
            "距离模型：直线距离圆，半径 300 米",
            "投影：EPSG:32650",
        ]
        .map(String::from)
        .to_vec();
        // 3 mm ideographs: the first two notes fit in 80 mm with the separator, the third
        // goes whole onto the next line.
        assert_eq!(
            wrap_notes(&notes, " · ", 3.0, 80.0),
            vec![
                "数据：示例 · 距离模型：直线距离圆，半径 300 米",
                "投影：EPSG:32650"
            ]
        );
        // A note longer than a line is broken inside, and the next note follows it.
        let lines = wrap_notes(&notes, " · ", 3.0, 30.0);
        assert_eq!(lines[0], "数据：示例");
        assert!(lines.len() >= 4, "{lines:?}");
        assert!(lines.last().unwrap().ends_with("EPSG:32650"), "{lines:?}");
    }

    #[test]
    fn units_and_models_in_chinese() {
        assert_eq!(distance(1000.0, Lang::Zh), "1,000 米");
        assert_eq!(distance(2500.0, Lang::Zh), "2.5 千米");
        assert_eq!(distance(300.0, Lang::En), "300 m");
        assert_eq!(
            distance_model("straight-line circle", Lang::Zh),
            "直线距离圆"
        );
        assert_eq!(
            radius_basis("15 min at 4 km/h", Lang::Zh),
            "步行 15 分钟，4 千米/小时"
        );
        assert_eq!(radius_basis("300 m", Lang::Zh), "300 米");
        assert_eq!(radius_basis("300 m", Lang::En), "300 m");
    }
}
