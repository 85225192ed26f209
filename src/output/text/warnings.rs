//! Warnings, boundary defects and layer notes, in English and Chinese.

use crate::input::config::Lang;
use crate::warning::{Consequence, Defect, EncodingReason, LayerNote, OsmTally, Warning};

use super::{pct, thousands};

/// A warning for readers in `lang`.
pub fn warning(w: &Warning, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match w {
        Warning::Layer { path, note } => format!("{path}{}{}", colon(zh), layer_note(note, lang)),
        Warning::Boundary {
            path,
            index,
            id,
            problems,
            used_m2,
            drawn_m2,
        } => boundary(path, *index, id, problems, *used_m2, *drawn_m2, lang),
        Warning::DemandOutside {
            path,
            outside,
            features,
            outside_weight,
            weight,
        } if zh => format!(
            "{path}：{features} 个需求要素中有 {outside} 个完全位于所有社区之外，权重 \
             {outside_weight:.1}（共 {weight:.1}）；社区之外的需求不计入指标"
        ),
        Warning::DemandOutside {
            path,
            outside,
            features,
            outside_weight,
            weight,
        } => format!(
            "{path}: {outside} of {features} demand features lie wholly outside every \
             community, and {outside_weight:.1} of {weight:.1} weight in all; demand outside \
             the communities is left out of the figures"
        ),
        Warning::UnknownCommunity { path, count } if zh => {
            format!("{path}：{count} 个设施所属社区不在社区图层中")
        }
        Warning::UnknownCommunity { path, count } => format!(
            "{path}: {count} facilities name a community that is not in the community layer"
        ),
        Warning::NoFacility {
            category,
            path,
            no_rule_matched,
            consequence,
            found,
        } => no_facility(category, path, *no_rule_matched, consequence, found, lang),
        Warning::FacilitiesOffStreets {
            category,
            far,
            total,
            snap_m,
        } => off_streets(category, *far, *total, *snap_m, lang),
        Warning::PeopleOffStreets {
            far,
            total,
            demand_points,
            snap_m,
        } => people_off_streets(*far, *total, *demand_points, *snap_m, lang),
        Warning::CandidatesOutside { category, count } if zh => {
            format!("选址 {category}：{count} 个候选点位于研究范围之外（仍可能服务范围内居民）")
        }
        Warning::CandidatesOutside { category, count } => format!(
            "siting {category}: {count} candidates lie outside the study area (they may \
             still serve it)"
        ),
        Warning::TargetOutOfReach {
            category,
            target,
            best,
        } if zh => format!(
            "选址 {category}：现有候选点无法达到目标 {}：全部有效候选点合计只能使覆盖率达到 {}",
            pct(*target),
            pct(*best)
        ),
        Warning::TargetOutOfReach {
            category,
            target,
            best,
        } => format!(
            "siting {category}: the target {} cannot be reached with these candidates: all \
             useful ones together bring coverage to {}",
            pct(*target),
            pct(*best)
        ),
        Warning::NotInLang { lang: run, texts } => not_in_lang(*run, texts, lang),
        Warning::NoGroupsToMap if zh => {
            "要求按分组绘图（maps_per_group），但没有分组字段（[communities] group）：只绘制全区地图"
                .to_string()
        }
        Warning::NoGroupsToMap => "maps per group were asked for (maps_per_group), but the run \
                                   has no group field ([communities] group): only the study \
                                   area's maps are drawn"
            .to_string(),
    }
}

fn colon(zh: bool) -> &'static str {
    if zh {
        "："
    } else {
        ": "
    }
}

fn boundary(
    path: &str,
    index: usize,
    id: &str,
    problems: &[Defect],
    used_m2: Option<f64>,
    drawn_m2: f64,
    lang: Lang,
) -> String {
    let zh = lang == Lang::Zh;
    let problems = defects(problems, lang);
    let what = match (used_m2, zh) {
        (Some(used), false) => {
            format!("repaired: {used:.0} m2 measured (the rings as drawn give {drawn_m2:.0} m2)")
        }
        (Some(used), true) => {
            format!("已修复：按 {used:.0} 平方米计算（原绘制的环为 {drawn_m2:.0} 平方米）")
        }
        (None, false) => "left out of the analysis (--on-invalid skip)".to_string(),
        (None, true) => "未纳入分析（--on-invalid skip）".to_string(),
    };
    if zh {
        format!("{path}：要素 #{index}（编号“{id}”）：{problems}；{what}")
    } else {
        format!("{path}: feature {index} (id \"{id}\"): {problems}; {what}")
    }
}

fn no_facility(
    category: &str,
    path: &str,
    no_rule_matched: bool,
    consequence: &Consequence,
    found: &[String],
    lang: Lang,
) -> String {
    if lang == Lang::Zh {
        let then = match consequence {
            Consequence::CoverageZero => "其覆盖率为 0".to_string(),
            Consequence::NoCompleteCircle(level) => format!("没有地点拥有完整的“{level}”生活圈"),
            Consequence::IndicatorCountsNone(ind) => format!("指标“{ind}”计数为 0"),
        };
        let found = if found.is_empty() {
            "无".to_string()
        } else {
            found.join("、")
        };
        return format!(
            "类别“{category}”：{path} 中没有此类设施{}；{then}（现有类别：{found}）",
            if no_rule_matched {
                "（没有规则匹配）"
            } else {
                ""
            }
        );
    }
    let then = match consequence {
        Consequence::CoverageZero => "its coverage is 0".to_string(),
        Consequence::NoCompleteCircle(level) => {
            format!("no place has a complete \"{level}\" circle")
        }
        Consequence::IndicatorCountsNone(ind) => format!("indicator \"{ind}\" counts none"),
    };
    format!(
        "category \"{category}\": no facility in {path} has it{}; {then} (categories found: \
         {})",
        if no_rule_matched {
            " (no rule for it matched)"
        } else {
            ""
        },
        if found.is_empty() {
            "none".to_string()
        } else {
            found.join(", ")
        }
    )
}

fn off_streets(category: &str, far: usize, total: usize, snap_m: f64, lang: Lang) -> String {
    match (lang, far == total) {
        (Lang::Zh, true) => format!(
            "类别“{category}”：其 {total} 个设施均不在道路 {snap_m} 米范围内：沿路网无法到达（覆盖率为 0）"
        ),
        (Lang::Zh, false) => format!(
            "类别“{category}”：{total} 个设施中有 {far} 个距所有道路超过 {snap_m} 米，沿路网不服务任何人"
        ),
        (Lang::En, true) => format!(
            "category \"{category}\": none of its {total} facilities is within {snap_m} m of \
             a street: nothing is within reach along the network (coverage 0)"
        ),
        (Lang::En, false) => format!(
            "category \"{category}\": {far} of {total} facilities are more than {snap_m} m \
             from every street and serve no one along the network"
        ),
    }
}

fn people_off_streets(far: usize, total: usize, demand: bool, snap_m: f64, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "{total} 个{}中有 {far} 个距所有道路超过 {snap_m} 米：沿路网无法到达，始终未覆盖",
            if demand { "需求点" } else { "社区中心" }
        ),
        Lang::En => format!(
            "{far} of {total} {} are more than {snap_m} m from every street: unreachable \
             along the network, never covered",
            if demand {
                "demand points"
            } else {
                "community centres"
            }
        ),
    }
}

fn not_in_lang(run: Lang, texts: &[String], lang: Lang) -> String {
    let list = texts.join(", ");
    match (lang, run) {
        (Lang::Zh, Lang::Zh) => format!("以下文字没有中文版本，按英文显示：{list}"),
        (Lang::Zh, Lang::En) => format!("以下文字没有英文版本，按中文显示：{list}"),
        (Lang::En, Lang::Zh) => {
            format!("these texts have no Chinese (zh) version and are shown in English: {list}")
        }
        (Lang::En, Lang::En) => {
            format!("these texts have no English (en) version and are shown in Chinese: {list}")
        }
    }
}

/// Boundary defects, joined.
pub fn defects(problems: &[Defect], lang: Lang) -> String {
    let sep = if lang == Lang::Zh { "；" } else { "; " };
    problems
        .iter()
        .map(|d| defect(d, lang))
        .collect::<Vec<_>>()
        .join(sep)
}

/// A boundary defect in `lang`. geo's own messages stay in English, quoted.
pub fn defect(d: &Defect, lang: Lang) -> String {
    match (d, lang) {
        (Defect::DuplicateVertices, Lang::En) => "duplicate consecutive vertices (removed)".into(),
        (Defect::DuplicateVertices, Lang::Zh) => "存在重复的相邻顶点（已删除）".into(),
        (Defect::ShortRings(n), Lang::En) => {
            format!("{n} ring(s) with fewer than 3 distinct points (dropped)")
        }
        (Defect::ShortRings(n), Lang::Zh) => format!("{n} 个环少于 3 个不同的点（已舍弃）"),
        (Defect::NoArea, Lang::En) => "no ring encloses any area".into(),
        (Defect::NoArea, Lang::Zh) => "没有任何环围合出面积".into(),
        (Defect::ZeroArea, Lang::En) => "zero area".into(),
        (Defect::ZeroArea, Lang::Zh) => "面积为零".into(),
        (Defect::ThreeD, Lang::En) => "3D coordinates (the height was dropped)".into(),
        (Defect::ThreeD, Lang::Zh) => "三维坐标（已去掉高程）".into(),
        (Defect::Unclosed, Lang::En) => "an unclosed ring (closed)".into(),
        (Defect::Unclosed, Lang::Zh) => "环未闭合（已闭合）".into(),
        (Defect::Invalid(m), Lang::En) => m.clone(),
        (Defect::Invalid(m), Lang::Zh) => format!("几何无效（{m}）"),
        (Defect::RepairFailed(m), Lang::En) => format!("repair failed: {m}"),
        (Defect::RepairFailed(m), Lang::Zh) => format!("修复失败（{m}）"),
    }
}

/// What reading a layer found, in `lang`.
pub fn layer_note(note: &LayerNote, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match note {
        LayerNote::Encoding { encoding, why } => encoding_note(encoding, why, lang),
        LayerNote::DeletedRecords(n) if zh => {
            format!("跳过 .dbf 中标记为删除的 {n} 条记录（与 GIS 软件一致）")
        }
        LayerNote::DeletedRecords(n) => {
            format!("{n} record(s) marked deleted in the .dbf skipped, as GIS software does")
        }
        LayerNote::Osm(t) => osm_note(t, lang),
        LayerNote::Several(notes) => notes
            .iter()
            .map(|n| layer_note(n, lang))
            .collect::<Vec<_>>()
            .join(if zh { "；" } else { "; " }),
    }
}

fn encoding_note(encoding: &str, why: &EncodingReason, lang: Lang) -> String {
    match (why, lang) {
        (EncodingReason::Declared, Lang::En) => format!("text read as {encoding} (declared)"),
        (EncodingReason::Declared, Lang::Zh) => format!("文字按 {encoding} 读取（配置指定）"),
        (EncodingReason::Cpg(label), Lang::En) => {
            format!("text read as {encoding} (the .cpg says \"{label}\")")
        }
        (EncodingReason::Cpg(label), Lang::Zh) => {
            format!("文字按 {encoding} 读取（.cpg 文件写明“{label}”）")
        }
        (EncodingReason::LanguageByte(b), Lang::En) => {
            format!("text read as {encoding} (no .cpg; the .dbf's language byte 0x{b:02X} says so)")
        }
        (EncodingReason::LanguageByte(b), Lang::Zh) => {
            format!("文字按 {encoding} 读取（无 .cpg；.dbf 的语言字节 0x{b:02X} 如此标明）")
        }
        (EncodingReason::ValidUtf8, Lang::En) => {
            format!("text read as {encoding} (no .cpg or language byte; all text is valid UTF-8)")
        }
        (EncodingReason::ValidUtf8, Lang::Zh) => {
            format!("文字按 {encoding} 读取（无 .cpg 和语言字节；全部文字均为有效的 UTF-8）")
        }
        (EncodingReason::NotUtf8, Lang::En) => format!(
            "text read as {encoding} (no declared encoding, and the text is not UTF-8: taken \
             as the GBK family Chinese Windows writes; declare encoding = \"...\" if it is \
             another)"
        ),
        (EncodingReason::NotUtf8, Lang::Zh) => format!(
            "文字按 {encoding} 读取（未声明编码且不是 UTF-8：视为中文 Windows 使用的 GBK \
             系列编码；如为其他编码，请设置 encoding = \"...\"）"
        ),
    }
}

fn osm_note(t: &OsmTally, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let mut parts = vec![if zh {
        format!(
            "读自 OpenStreetMap：符合规则的节点 {} 个、路径 {} 条、多边形关系 {} 个",
            thousands(t.nodes as f64),
            thousands(t.ways as f64),
            thousands(t.relations as f64)
        )
    } else {
        format!(
            "read from OpenStreetMap: {} nodes, {} ways and {} multipolygon relations match \
             the rules",
            t.nodes, t.ways, t.relations
        )
    }];
    if t.open_ways > 0 {
        parts.push(if zh {
            format!("{} 条非闭合路径取其线上一点", t.open_ways)
        } else {
            format!(
                "{} open ways are taken at a point on their line",
                t.open_ways
            )
        });
    }
    let lists = [
        (
            &t.partial,
            "cut at the extract's edge are placed from their nodes inside it",
            "个被数据范围边界截断的要素按范围内的节点定位",
        ),
        (
            &t.unplaced,
            "left out because none of their nodes (or no closed ring) is in the extract",
            "个要素因节点（或闭合环）都不在数据范围内而未纳入",
        ),
    ];
    for (list, en, in_zh) in lists {
        if !list.is_empty() {
            let (what, sep) = if zh { (in_zh, "：") } else { (en, ": ") };
            parts.push(format!("{} {what}{sep}{}", list.len(), ids(list)));
        }
    }
    parts.join(if zh { "；" } else { "; " })
}

/// The first five ids, then "...".
fn ids(ids: &[String]) -> String {
    let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
    format!(
        "{}{}",
        shown.join(", "),
        if ids.len() > 5 { ", ..." } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each warning (and each layer note and consequence), with data that holds no
    /// English word: file names, ids and categories are all short codes.
    fn every_warning() -> Vec<Warning> {
        let tally = OsmTally {
            nodes: 3,
            ways: 2,
            relations: 1,
            open_ways: 1,
            partial: vec!["r9".into()],
            unplaced: vec!["w7".into()],
        };
        let notes = vec![
            LayerNote::Encoding {
                encoding: "GBK".into(),
                why: EncodingReason::Declared,
            },
            LayerNote::Encoding {
                encoding: "GB18030".into(),
                why: EncodingReason::Cpg("936".into()),
            },
            LayerNote::Encoding {
                encoding: "UTF-8".into(),
                why: EncodingReason::ValidUtf8,
            },
            LayerNote::Encoding {
                encoding: "GB18030".into(),
                why: EncodingReason::NotUtf8,
            },
            LayerNote::DeletedRecords(2),
            LayerNote::Osm(tally),
        ];
        let mut out: Vec<Warning> = notes
            .into_iter()
            .map(|note| Warning::Layer {
                path: "c.shp".into(),
                note,
            })
            .collect();
        out.push(Warning::Boundary {
            path: "c.geojson".into(),
            index: 1,
            id: "C1".into(),
            problems: vec![
                Defect::DuplicateVertices,
                Defect::ShortRings(2),
                Defect::NoArea,
                Defect::ZeroArea,
                Defect::ThreeD,
                Defect::Unclosed,
            ],
            used_m2: None,
            drawn_m2: 0.0,
        });
        out.push(Warning::DemandOutside {
            path: "d.csv".into(),
            outside: 2,
            features: 9,
            outside_weight: 10.0,
            weight: 90.0,
        });
        out.push(Warning::UnknownCommunity {
            path: "f.csv".into(),
            count: 2,
        });
        for consequence in [
            Consequence::CoverageZero,
            Consequence::NoCompleteCircle("L15".into()),
            Consequence::IndicatorCountsNone("R1".into()),
        ] {
            for no_rule_matched in [false, true] {
                out.push(Warning::NoFacility {
                    category: "m".into(),
                    path: "f.csv".into(),
                    no_rule_matched,
                    consequence: consequence.clone(),
                    found: vec!["h".into()],
                });
            }
        }
        out.push(Warning::FacilitiesOffStreets {
            category: "m".into(),
            far: 1,
            total: 4,
            snap_m: 100.0,
        });
        for demand_points in [false, true] {
            out.push(Warning::PeopleOffStreets {
                far: 1,
                total: 4,
                demand_points,
                snap_m: 100.0,
            });
        }
        out.push(Warning::CandidatesOutside {
            category: "m".into(),
            count: 3,
        });
        out.push(Warning::TargetOutOfReach {
            category: "m".into(),
            target: 0.95,
            best: 0.9,
        });
        out.push(Warning::NotInLang {
            lang: Lang::Zh,
            texts: vec!["T1".into()],
        });
        out.push(Warning::NoGroupsToMap);
        out
    }

    /// Words of two or more Latin letters in `text`, less those allowed: the codes in the
    /// data above, the configuration keys and flags a warning names (`encoding = "..."`,
    /// `--on-invalid skip`), units, file formats and proper names (Windows, GIS).
    fn english_words(text: &str) -> Vec<String> {
        const ALLOWED: &[&str] = &[
            "shp",
            "geojson",
            "csv",
            "GBK",
            "GB18030",
            "UTF",
            "cpg",
            "OpenStreetMap",
            "OSM",
            "L15",
            "R1",
            "C1",
            "T1",
            "r9",
            "w7",
            "maps_per_group",
            "communities",
            "group",
            "m2",
            "lifecircle",
            "id",
            "ids",
            "snap_m",
            "rule",
            "facilities",
            "category",
            "zh",
            "en",
            "Windows",
            "encoding",
            "dbf",
            "GIS",
            "on",
            "invalid",
            "skip",
        ];
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.chars().filter(char::is_ascii_alphabetic).count() >= 2)
            .filter(|w| !ALLOWED.contains(w))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_warning_reads_in_chinese() {
        for w in every_warning() {
            let (en, zh) = both(&w);
            assert_ne!(en, zh);
            assert!(zh.chars().any(crate::output::map::words::is_cjk), "{zh}");
            assert_eq!(english_words(&zh), Vec::<String>::new(), "{zh}");
        }
    }

    fn both(w: &Warning) -> (String, String) {
        (warning(w, Lang::En), warning(w, Lang::Zh))
    }

    #[test]
    fn boundary_warnings_in_both_languages() {
        let w = Warning::Boundary {
            path: "communities.shp".into(),
            index: 3,
            id: "C4".into(),
            problems: vec![Defect::DuplicateVertices, Defect::Unclosed],
            used_m2: Some(30000.0),
            drawn_m2: 40000.0,
        };
        let (en, zh) = both(&w);
        assert_eq!(
            en,
            "communities.shp: feature 3 (id \"C4\"): duplicate consecutive vertices (removed); \
             an unclosed ring (closed); repaired: 30000 m2 measured (the rings as drawn give \
             40000 m2)"
        );
        assert_eq!(
            zh,
            "communities.shp：要素 #3（编号“C4”）：存在重复的相邻顶点（已删除）；环未闭合（已闭合）；\
             已修复：按 30000 平方米计算（原绘制的环为 40000 平方米）"
        );
    }

    #[test]
    fn layer_notes_in_both_languages() {
        let note = LayerNote::Several(vec![
            LayerNote::Encoding {
                encoding: "GBK".into(),
                why: EncodingReason::LanguageByte(0x4D),
            },
            LayerNote::DeletedRecords(2),
        ]);
        let w = Warning::Layer {
            path: "facilities.shp".into(),
            note,
        };
        let (en, zh) = both(&w);
        assert_eq!(
            en,
            "facilities.shp: text read as GBK (no .cpg; the .dbf's language byte 0x4D says so); \
             2 record(s) marked deleted in the .dbf skipped, as GIS software does"
        );
        assert_eq!(
            zh,
            "facilities.shp：文字按 GBK 读取（无 .cpg；.dbf 的语言字节 0x4D 如此标明）；\
             跳过 .dbf 中标记为删除的 2 条记录（与 GIS 软件一致）"
        );
    }

    #[test]
    fn missing_categories_name_what_they_cost() {
        let w = Warning::NoFacility {
            category: "pharmacy".into(),
            path: "f.geojson".into(),
            no_rule_matched: false,
            consequence: Consequence::NoCompleteCircle("life15".into()),
            found: vec!["market".into(), "school".into()],
        };
        let (en, zh) = both(&w);
        assert_eq!(
            en,
            "category \"pharmacy\": no facility in f.geojson has it; no place has a complete \
             \"life15\" circle (categories found: market, school)"
        );
        assert_eq!(
            zh,
            "类别“pharmacy”：f.geojson 中没有此类设施；没有地点拥有完整的“life15”生活圈（现有类别：market、school）"
        );
    }
}
