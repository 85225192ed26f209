//! Numbers and phrases for people: the terminal table, the maps and the report share them,
//! in English or Chinese.

use crate::config::{Basis, Lang};
use crate::summary::CategorySummary;

/// A fraction as a percentage with one decimal: `0.8523` -> `85.2%`.
pub fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Coverage with one decimal, or more where one would show a missed target as reached
/// (94.96% against 95% prints as 94.96%, not 95.0%).
pub fn coverage_pct(s: &CategorySummary) -> String {
    let mut decimals = 1;
    if let (Some(target), Some(false)) = (s.target, s.meets_target) {
        while decimals < 4
            && format!("{:.*}", decimals, s.coverage * 100.0)
                == format!("{:.*}", decimals, target * 100.0)
        {
            decimals += 1;
        }
    }
    format!("{:.*}%", decimals, s.coverage * 100.0)
}

/// A whole number with thousands separators: `12345.6` -> `12,346`.
pub fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 && ch.is_ascii_digit() {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A distance: `1000` -> `1,000 m`, `2500` -> `2.5 km`.
pub fn distance(m: f64) -> String {
    if m >= 2000.0 && (m / 100.0).fract() == 0.0 {
        format!("{} km", crate::config::fmt_num(m / 1000.0))
    } else {
        format!("{} m", thousands(m))
    }
}

/// The category's display name: its label, else its name.
pub fn category_title(s: &CategorySummary) -> &str {
    s.label.as_deref().unwrap_or(&s.name)
}

/// What a coverage figure counts, as a noun: "of residents", "of the area", "of communities".
pub fn basis_noun(basis: Basis, lang: Lang) -> &'static str {
    match (basis, lang) {
        (Basis::Population, Lang::En) => "of residents",
        (Basis::Area, Lang::En) => "of the area",
        (Basis::Communities, Lang::En) => "of communities",
        (Basis::Population, Lang::Zh) => "居民",
        (Basis::Area, Lang::Zh) => "面积",
        (Basis::Communities, Lang::Zh) => "社区",
    }
}

/// "Met", "Not met" or "No target".
pub fn verdict(meets: Option<bool>, lang: Lang) -> &'static str {
    match (meets, lang) {
        (Some(true), Lang::En) => "met",
        (Some(false), Lang::En) => "not met",
        (None, Lang::En) => "no target",
        (Some(true), Lang::Zh) => "达标",
        (Some(false), Lang::Zh) => "未达标",
        (None, Lang::Zh) => "无目标",
    }
}

/// One line saying what a category reached against its target, e.g.
/// "85.2% of residents within 1,000 m (target 95%: not met)" or
/// "1,000 米内覆盖 85.2% 居民（目标 95%：未达标）".
pub fn headline(s: &CategorySummary, lang: Lang) -> String {
    let reached = coverage_pct(s);
    let noun = basis_noun(s.basis, lang);
    let radius = distance(s.radius_m);
    let target = s
        .target
        .map(|t| format!("{}%", crate::config::fmt_num(t * 100.0)));
    match lang {
        Lang::En => {
            let judged = match &target {
                Some(t) => format!(" (target {t}: {})", verdict(s.meets_target, lang)),
                None => String::new(),
            };
            format!("{reached} {noun} within {radius}{judged}")
        }
        Lang::Zh => {
            let radius = radius.replace(" km", " 千米").replace(" m", " 米");
            let judged = match &target {
                Some(t) => format!("（目标 {t}：{}）", verdict(s.meets_target, lang)),
                None => String::new(),
            };
            format!("{radius}内覆盖 {reached} {noun}{judged}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_and_distances() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(-1234.0), "-1,234");
        assert_eq!(distance(1000.0), "1,000 m");
        assert_eq!(distance(300.0), "300 m");
        assert_eq!(distance(2500.0), "2.5 km");
    }
}
