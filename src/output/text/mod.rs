//! Numbers and phrases for people: the terminal table, the maps and the report share them,
//! in English or Chinese.

use crate::analysis::indicator::IndicatorSummary;
use crate::analysis::level::LevelSummary;
use crate::analysis::summary::CategorySummary;
use crate::input::config::{Basis, DemandKind, Lang};
use crate::pipeline::{Analysis, CommunityInputs, DemandInputs, FacilityInputs, Inputs};
use crate::reach::network::NetworkInputs;

mod warnings;

pub use warnings::{defect, defects, layer_note, warning};

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
        format!("{} km", crate::input::config::fmt_num(m / 1000.0))
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
    let radius = distance_in(s.radius_m, lang);
    let target = s
        .target
        .map(|t| format!("{}%", crate::input::config::fmt_num(t * 100.0)));
    match lang {
        Lang::En => {
            let judged = match &target {
                Some(t) => format!(" (target {t}: {})", verdict(s.meets_target, lang)),
                None => String::new(),
            };
            let walk = match s.distance_model.as_str() {
                "street network" => " walk along streets",
                _ => "",
            };
            let circle = match s.circle_coverage {
                Some(c) => format!("; {} by straight-line circle", pct(c)),
                None => String::new(),
            };
            format!("{reached} {noun} within {radius}{walk}{judged}{circle}")
        }
        Lang::Zh => {
            let judged = match &target {
                Some(t) => format!("（目标 {t}：{}）", verdict(s.meets_target, lang)),
                None => String::new(),
            };
            let walk = match s.distance_model.as_str() {
                "street network" => "沿路网步行",
                _ => "",
            };
            let circle = match s.circle_coverage {
                Some(c) => format!("；按直线距离圆为 {}", pct(c)),
                None => String::new(),
            };
            format!("{walk}{radius}内覆盖 {reached} {noun}{judged}{circle}")
        }
    }
}

/// A word or short phrase of the report, in English or Chinese: headings, table heads and
/// the labels of the run's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// What the document is, under its title.
    ReportKind,
    /// Heading: the categories against their targets.
    Results,
    /// Heading: the life circles and the ratio indicators.
    LevelsAndIndicators,
    /// Heading: the communities with the lowest coverage.
    LeastServed,
    /// Heading: what the figures rest on.
    AssumptionsAndNotes,
    /// Sub-heading: complete life circles.
    LifeCircles,
    /// Sub-heading: ratio indicators per community.
    Indicators,
    /// Sub-heading: the largest gaps of a category.
    LargestGaps,
    /// Sub-heading: the assumptions.
    Assumptions,
    /// Sub-heading: the warnings of the run.
    Warnings,
    /// Sub-heading: repaired and left-out boundaries and other data notes.
    DataNotes,
    /// Sub-heading: where reaches and targets come from.
    Sources,
    /// Fact label: the community layer.
    Communities,
    /// Fact label: the demand layer.
    Demand,
    /// Fact label: the facility layer.
    Facilities,
    /// Fact label: the working CRS.
    WorkingCrs,
    /// Fact label: the distance model.
    DistanceModel,
    /// Fact label: the street network.
    StreetNetwork,
    /// Heading: coverage along streets against straight-line circles.
    CircleVsNetwork,
    /// Column: coverage along the street network.
    AlongStreets,
    /// Column: coverage within straight-line circles.
    WithinCircles,
    /// Column: how much circles overstate, percentage points.
    Overstatement,
    /// Fact label: the program that wrote the report.
    ProducedBy,
    /// Fact label and footer: data sources.
    Attribution,
    /// Table head: category.
    Category,
    /// Table head: the radius and how it was given.
    Reach,
    /// Table head: what coverage is a share of.
    CoverageBasis,
    /// Table head: where residents are taken to live.
    PopulationBasis,
    /// Table head: the target.
    Target,
    /// Table head: the figure reached.
    Reached,
    /// Table head: met or not.
    Verdict,
    /// Table head: communities served.
    Served,
    /// Table head: a life-circle level.
    Level,
    /// Table head: the categories a complete circle holds.
    Required,
    /// Table head: the share living in a complete circle.
    Complete,
    /// Table head: places with every category within reach.
    PlacesComplete,
    /// Table head: the category most often missing.
    MostMissing,
    /// Table head: an indicator.
    Indicator,
    /// Table head: how an indicator is worked out and what it must reach.
    Rule,
    /// Table head: which communities an indicator judges.
    AppliesTo,
    /// Table head: communities judged.
    Judged,
    /// Table head: the share of judged communities meeting the bound.
    ShareMeeting,
    /// Table head: the share of judged communities that must meet the bound.
    TargetShare,
    /// Table head: the lowest and highest value.
    ValueRange,
    /// Table head: position in a ranked list.
    Rank,
    /// Table head: a community.
    Community,
    /// Table head: a demand feature.
    DemandFeature,
    /// Table head: residents.
    Residents,
    /// Table head: area.
    Area,
    /// Table head: the lowest covered share of a community.
    Lowest,
    /// Table head: problems found in a boundary.
    Problems,
    /// Table head: area of the rings as drawn.
    AreaAsDrawn,
    /// Table head: area measured after repair.
    AreaUsed,
    /// "every community" (an indicator without a condition).
    EveryCommunity,
    /// A value that is not there.
    Blank,
}

/// A [`Term`] in the report's language.
pub fn term(t: Term, lang: Lang) -> &'static str {
    use Term::*;
    let (en, zh) = match t {
        ReportKind => ("Life-circle coverage report", "生活圈覆盖评估报告"),
        Results => ("Results against the targets", "对照目标的结果"),
        LevelsAndIndicators => ("Life circles and indicators", "生活圈完整度与指标"),
        LeastServed => ("Least-served communities", "服务最薄弱的社区"),
        AssumptionsAndNotes => ("Assumptions and data notes", "假设与数据说明"),
        LifeCircles => (
            "Complete life circles (every listed category within reach)",
            "完整生活圈（所列类别均可达）",
        ),
        Indicators => ("Indicators per community", "社区指标"),
        LargestGaps => ("Largest gaps", "最大的覆盖缺口"),
        Assumptions => ("Assumptions", "假设"),
        Warnings => ("Warnings", "警告"),
        DataNotes => ("Data notes", "数据说明"),
        Sources => ("Sources", "出处"),
        Communities => ("Communities", "社区"),
        Demand => ("Where people live", "人口分布"),
        Facilities => ("Facilities", "设施"),
        WorkingCrs => ("Working CRS", "计算坐标系"),
        DistanceModel => ("Distance model", "距离模型"),
        StreetNetwork => ("Street network", "路网"),
        CircleVsNetwork => (
            "Along streets against straight-line circles",
            "沿路网步行与直线距离圆的对比",
        ),
        AlongStreets => ("Along streets", "沿路网"),
        WithinCircles => ("Straight-line circle", "直线距离圆"),
        Overstatement => ("Circle overstates by", "直线圆高估"),
        ProducedBy => ("Produced by", "生成工具"),
        Attribution => ("Data sources", "数据来源"),
        Category => ("Category", "类别"),
        Reach => ("Reach", "服务半径"),
        CoverageBasis => ("Coverage basis", "覆盖口径"),
        PopulationBasis => ("Residents counted", "人口口径"),
        Target => ("Target", "目标"),
        Reached => ("Result", "结果"),
        Verdict => ("Verdict", "判定"),
        Served => ("Communities served", "达标社区"),
        Level => ("Life circle", "生活圈"),
        Required => ("Must hold", "应配置类别"),
        Complete => ("In a complete circle", "完整生活圈覆盖"),
        PlacesComplete => ("Places complete", "完整的地点"),
        MostMissing => ("Most often missing", "最常缺少"),
        Indicator => ("Indicator", "指标"),
        Rule => ("Rule", "计算与标准"),
        AppliesTo => ("Applies to", "适用范围"),
        Judged => ("Judged", "参评社区"),
        ShareMeeting => ("Meeting (share of judged)", "达标比例（占参评）"),
        TargetShare => ("Target (share of judged)", "目标（占参评）"),
        ValueRange => ("Value range", "取值范围"),
        Rank => ("Rank", "序号"),
        Community => ("Community", "社区"),
        DemandFeature => ("Demand feature", "需求要素"),
        Residents => ("Residents", "人口"),
        Area => ("Area", "面积"),
        Lowest => ("Lowest share", "最低覆盖率"),
        Problems => ("Problems", "问题"),
        AreaAsDrawn => ("Area as drawn", "原始面积"),
        AreaUsed => ("Area used", "采用面积"),
        EveryCommunity => ("every community", "全部社区"),
        Blank => ("–", "–"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// A colon before a value: ": " in English, "：" in Chinese.
pub fn colon(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ": ",
        Lang::Zh => "：",
    }
}

/// A verdict for a table cell, in words with a mark: "✓ Met", "✗ Not met", "No target".
pub fn verdict_cell(meets: Option<bool>, lang: Lang) -> String {
    match (meets, lang) {
        (Some(true), Lang::En) => "✓ Met".into(),
        (Some(false), Lang::En) => "✗ Not met".into(),
        (None, Lang::En) => "No target".into(),
        (Some(true), Lang::Zh) => "✓ 达标".into(),
        (Some(false), Lang::Zh) => "✗ 未达标".into(),
        (None, Lang::Zh) => "无目标".into(),
    }
}

/// A distance in the report's language: `1,000 m`, `2.5 km`; `1,000 米`, `2.5 千米`.
pub fn distance_in(m: f64, lang: Lang) -> String {
    let d = distance(m);
    match lang {
        Lang::En => d,
        Lang::Zh => d.replace(" km", " 千米").replace(" m", " 米"),
    }
}

/// An area in square metres with thousands separators: `12,346 m²` (`12,346 平方米`).
pub fn area_m2(v: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{} m²", thousands(v)),
        Lang::Zh => format!("{} 平方米", thousands(v)),
    }
}

/// An area in square kilometres with two decimals: `6.27 km²` (`6.27 平方千米`).
pub fn area_km2(v_m2: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{:.2} km²", v_m2 / 1e6),
        Lang::Zh => format!("{:.2} 平方千米", v_m2 / 1e6),
    }
}

/// A target fraction as a percentage without needless decimals: `0.95` -> `95%`.
pub fn target_pct(t: f64) -> String {
    format!(
        "{}%",
        crate::input::config::fmt_num((t * 1e6).round() / 1e4)
    )
}

/// The basis a coverage figure is judged on, as a column value: "residents", "area",
/// "communities served".
pub fn basis_name(basis: Basis, lang: Lang) -> &'static str {
    match (basis, lang) {
        (Basis::Population, Lang::En) => "residents",
        (Basis::Area, Lang::En) => "area",
        (Basis::Communities, Lang::En) => "communities served",
        (Basis::Population, Lang::Zh) => "人口",
        (Basis::Area, Lang::Zh) => "面积",
        (Basis::Communities, Lang::Zh) => "达标社区占比",
    }
}

/// Why a basis was chosen (`CategorySummary::basis_reason`), in the report's language.
pub fn basis_reason(reason: &str, lang: Lang) -> String {
    match (lang, reason) {
        (Lang::Zh, "as configured") => "按配置".into(),
        (Lang::Zh, "default: the population is known") => "默认：人口已知".into(),
        (Lang::Zh, "default: the population is not known") => "默认：人口未知".into(),
        _ => reason.to_string(),
    }
}

/// How a reach was given (`radius_basis`: "15 min at 4 km/h", "1000 m") in the report's
/// language.
pub fn radius_basis(basis: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return basis.to_string();
    }
    match walking_basis(basis) {
        Some((minutes, speed)) => format!("步行 {minutes} 分钟（{speed} 千米/小时）"),
        None => metres_basis(basis),
    }
}

/// The minutes and speed of a radius given as a walk ("15 min at 4 km/h").
pub fn walking_basis(basis: &str) -> Option<(&str, &str)> {
    basis
        .strip_suffix(" km/h")
        .and_then(|b| b.split_once(" min at "))
}

/// A radius given in metres ("300 m") in Chinese ("300 米"); anything else as it is.
pub fn metres_basis(basis: &str) -> String {
    match basis.strip_suffix(" m") {
        Some(m) => format!("{m} 米"),
        None => basis.to_string(),
    }
}

/// The CRS distances and areas were measured in: the working CRS, or for a study split by
/// zone each zone's ("EPSG:32645, EPSG:32648 and EPSG:32651, each place in its UTM zone").
pub fn working_crs(analysis: &Analysis, lang: Lang) -> String {
    let zones = &analysis.tiles.zones;
    if zones.len() <= 1 {
        return analysis.work_crs.to_string();
    }
    let names: Vec<String> = zones.iter().map(|z| z.to_string()).collect();
    match lang {
        Lang::En => {
            let (last, rest) = names.split_last().unwrap_or((&names[0], &[]));
            format!("{} and {last}, each place in its UTM zone", rest.join(", "))
        }
        Lang::Zh => format!("{}（各地按所在 UTM 分带量算）", names.join("、")),
    }
}

/// The distance model's name in the report's language.
pub fn distance_model(model: &str, lang: Lang) -> String {
    match (lang, model) {
        (Lang::En, "straight-line circle") => "straight-line circle (no street network)".into(),
        (Lang::Zh, "straight-line circle") => "直线距离圆（未考虑路网）".into(),
        (Lang::En, "street network") => "walking distance along the street network".into(),
        (Lang::Zh, "street network") => "沿路网的步行距离".into(),
        _ => model.to_string(),
    }
}

/// A share with what it is a share of: "85.2% of residents", "85.2% 居民".
pub fn share_of(v: f64, basis: Basis, lang: Lang) -> String {
    share_text(&pct(v), basis, lang)
}

/// A formatted percentage with what it is a share of.
pub fn share_text(pct: &str, basis: Basis, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{pct} {}", basis_noun(basis, lang)),
        Lang::Zh => format!("{}{pct}", basis_noun_zh_prefix(basis)),
    }
}

fn basis_noun_zh_prefix(basis: Basis) -> &'static str {
    match basis {
        Basis::Population => "居民 ",
        Basis::Area => "面积 ",
        Basis::Communities => "社区 ",
    }
}

/// The community layer in one line: "21 communities, 96,300 residents, 6.27 km²".
pub fn communities_fact(c: &CommunityInputs, lang: Lang) -> String {
    let skipped = c.skipped.len();
    let n = c.features - skipped;
    match lang {
        Lang::En => {
            let people = c
                .population
                .map(|p| format!(", {} residents", thousands(p)))
                .unwrap_or_default();
            let left_out = match skipped {
                0 => String::new(),
                k => format!("; {k} more left out as invalid"),
            };
            format!(
                "{}{people}, {}{left_out}",
                count(n, "community", "communities"),
                area_km2(c.area_m2, lang)
            )
        }
        Lang::Zh => {
            let people = c
                .population
                .map(|p| format!("，人口 {}", thousands(p)))
                .unwrap_or_default();
            let left_out = match skipped {
                0 => String::new(),
                k => format!("；另有 {k} 个因边界无效未计入"),
            };
            format!(
                "社区 {n} 个{people}，面积 {}{left_out}",
                area_km2(c.area_m2, lang)
            )
        }
    }
}

/// Where a layer was read from and its CRS: "data/c.geojson · EPSG:4326 (RFC 7946 default)".
pub fn layer_detail(path: &str, crs: &str, crs_source: &str, lang: Lang) -> String {
    let source = match (lang, crs_source) {
        (Lang::Zh, "declared") => "配置声明",
        (Lang::Zh, "crs member of the file") => "文件的 crs 成员",
        (Lang::Zh, "the .prj beside the shapefile") => "Shapefile 的 .prj 文件",
        (Lang::Zh, "RFC 7946 default") => "RFC 7946 默认",
        _ => crs_source,
    };
    match lang {
        Lang::En => format!("{path} · {crs} ({source})"),
        Lang::Zh => format!("{path} · {crs}（{source}）"),
    }
}

/// The demand layer in one line: "496 points weighing 96,300 (field "population")".
pub fn demand_fact(d: &DemandInputs, lang: Lang) -> String {
    let outside = match (d.outside_communities, d.outside_weight) {
        (Some(n), Some(w)) if n > 0 => match lang {
            Lang::En => format!(
                "; {n} wholly outside the communities, {} weight left out",
                thousands(w)
            ),
            Lang::Zh => format!("；{n} 个完全在社区以外，权重 {} 未计入", thousands(w)),
        },
        _ => String::new(),
    };
    match (lang, d.kind) {
        (Lang::En, kind) => format!(
            "{} {kind} weighing {} (field \"{}\"){outside}",
            d.features,
            thousands(d.weight),
            d.weight_field
        ),
        (Lang::Zh, kind) => format!(
            "{} {} 个，权重合计 {}（字段“{}”）{outside}",
            if kind == DemandKind::Points {
                "点"
            } else {
                "面"
            },
            d.features,
            thousands(d.weight),
            d.weight_field
        ),
    }
}

/// The facility layer in one line: "103 facilities, 30 outside the study area (they still
/// serve)".
pub fn facilities_fact(f: &FacilityInputs, lang: Lang) -> String {
    let without = match (lang, f.without_category) {
        (_, 0) => String::new(),
        (Lang::En, n) => format!("; {n} without a category, not used"),
        (Lang::Zh, n) => format!("；{n} 处无类别，未使用"),
    };
    match lang {
        Lang::En => format!(
            "{}, {} outside the study area (they still serve the places near them){without}",
            count(f.features, "facility", "facilities"),
            f.outside_communities
        ),
        Lang::Zh => format!(
            "设施 {} 处，其中 {} 处在研究区外（仍服务其附近地区）{without}",
            f.features, f.outside_communities
        ),
    }
}

/// What the street network holds, for the report's facts: "5,573 ways read (line layer);
/// 6,976 nodes, 10,170 edges, 701.9 km; 37 islands under 40 nodes dropped".
pub fn network_fact(n: &NetworkInputs, lang: Lang) -> String {
    let unreachable: usize = n.facilities_unreachable.values().sum();
    match lang {
        Lang::En => format!(
            "{} ways read ({}{}); {} nodes, {} edges, {:.1} km of streets; {} islands under {} \
             nodes dropped; {} and {} more than {} m from every street",
            thousands(n.ways_read as f64),
            n.source,
            if n.ways_filtered_out > 0 {
                format!(", {} not walkable", thousands(n.ways_filtered_out as f64))
            } else {
                String::new()
            },
            thousands(n.nodes as f64),
            thousands(n.edges as f64),
            n.length_km,
            n.components_dropped,
            n.min_component_nodes,
            count(unreachable, "facility", "facilities"),
            count(n.points_unreachable, "place", "places"),
            crate::input::config::fmt_num(n.snap_max_m)
        ),
        Lang::Zh => format!(
            "读入道路 {} 条（{}{}）；节点 {} 个，路段 {} 条，共 {:.1} 公里；删除少于 {} 个节点的孤立路网 {} 处；\
             距任何道路超过 {} 米的设施 {} 处、地点 {} 处",
            thousands(n.ways_read as f64),
            if n.source == "line layer" { "线图层" } else { "OpenStreetMap 数据" },
            if n.ways_filtered_out > 0 {
                format!("，其中 {} 条不可步行", thousands(n.ways_filtered_out as f64))
            } else {
                String::new()
            },
            thousands(n.nodes as f64),
            thousands(n.edges as f64),
            n.length_km,
            n.min_component_nodes,
            n.components_dropped,
            crate::input::config::fmt_num(n.snap_max_m),
            unreachable,
            n.points_unreachable
        ),
    }
}

/// How distance along streets is measured, for the assumptions.
fn network_assumption(n: &NetworkInputs, lang: Lang) -> String {
    let snap = crate::input::config::fmt_num(n.snap_max_m);
    let cell = crate::input::config::fmt_num(n.cell_m);
    match lang {
        Lang::En => format!(
            "Distance is walked along the street network: from a facility straight to the \
             nearest point of the nearest street (counted), along the streets, and straight to \
             the place measured (counted). Streets connect only where they share a vertex \
             (bridges and tunnels do not meet the streets they cross); islands under {} nodes \
             are dropped; a place more than {snap} m from every street is unreachable. Areas \
             are sampled on {cell} m cells, each reached when its centre is.",
            n.min_component_nodes
        ),
        Lang::Zh => format!(
            "距离沿路网步行计算：从设施直线走到最近道路上的最近点（计入），沿道路行走，再直线走到被测地点（计入）。\
             道路只在共享节点处相连（桥梁和隧道不与其跨越的道路相连）；少于 {} 个节点的孤立路网被删除；\
             距任何道路超过 {snap} 米的地点视为不可达。面积按 {cell} 米网格抽样，网格中心可达即整格可达。",
            n.min_component_nodes
        ),
    }
}

/// Under a category's title: its name and facilities, "market · 17 facilities, 9 outside".
pub fn category_sub(s: &CategorySummary, lang: Lang) -> String {
    let name = if s.label.is_some() {
        format!("{} · ", s.name)
    } else {
        String::new()
    };
    match lang {
        Lang::En => format!(
            "{name}{}, {} outside the study area",
            count(s.facilities, "facility", "facilities"),
            s.facilities_outside
        ),
        Lang::Zh => format!(
            "{name}设施 {} 处（研究区外 {} 处）",
            s.facilities, s.facilities_outside
        ),
    }
}

/// A category's figures on every basis known: "residents 85.2% · area 83.6% · served
/// 17/21".
pub fn other_figures(s: &CategorySummary, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let Some(p) = s.population_coverage {
        parts.push(format!(
            "{} {}",
            basis_name(Basis::Population, lang),
            pct(p)
        ));
    }
    if let Some(a) = s.area_coverage {
        parts.push(format!("{} {}", basis_name(Basis::Area, lang), pct(a)));
    }
    if s.communities > 0 {
        let served = match lang {
            Lang::En => "served",
            Lang::Zh => "达标社区",
        };
        parts.push(format!(
            "{served} {}/{}",
            s.communities_served, s.communities
        ));
    }
    parts.join(" · ")
}

/// What "served" means, under the summary table.
pub fn served_rule(threshold: Option<f64>, lang: Lang) -> String {
    match (lang, threshold) {
        (Lang::En, Some(t)) => format!(
            "Coverage is judged on the basis shown in each row. A community is served when at \
             least {} of its area is within reach.",
            target_pct(t)
        ),
        (Lang::En, None) => "Coverage is judged on the basis shown in each row. A community \
             is served when its covered share of the area reaches its category's served \
             threshold."
            .into(),
        (Lang::Zh, Some(t)) => format!(
            "覆盖率按各行所示口径判定。社区面积至少 {} 在服务范围内即为达标社区。",
            target_pct(t)
        ),
        (Lang::Zh, None) => {
            "覆盖率按各行所示口径判定。社区面积的覆盖比例达到该类别的达标阈值即为达标社区。".into()
        }
    }
}

/// The heading of the per-group table: "By street".
pub fn by_group(field: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!("By {field}"),
        Lang::Zh if field.is_ascii() => format!("按 {field} 分组"),
        Lang::Zh => format!("按{field}分组"),
    }
}

/// Where residents are taken to live, as a short line and its detail: ("demand layer:
/// 496 points", "weight field \"population\"").
pub fn population_basis(inputs: &Inputs, lang: Lang) -> (String, String) {
    let split = inputs.communities.is_some();
    match (&inputs.demand, lang) {
        (Some(d), Lang::En) => {
            let main = format!("demand layer: {} {}", d.features, d.kind);
            let field = format!("weight field \"{}\"", d.weight_field);
            let sub = match (d.kind, split) {
                (DemandKind::Points, _) => field,
                (DemandKind::Polygons, false) => {
                    format!("{field}, people spread evenly inside each polygon")
                }
                (DemandKind::Polygons, true) => format!(
                    "{field}, people spread evenly inside each polygon and split over the \
                     communities by area"
                ),
            };
            (main, sub)
        }
        (Some(d), Lang::Zh) => {
            let kind = if d.kind == DemandKind::Points {
                "点"
            } else {
                "面"
            };
            let main = format!("需求图层：{} 个{kind}", d.features);
            let field = format!("权重字段“{}”", d.weight_field);
            let sub = match (d.kind, split) {
                (DemandKind::Points, _) => field,
                (DemandKind::Polygons, false) => format!("{field}，人口在每个面内均匀分布"),
                (DemandKind::Polygons, true) => {
                    format!("{field}，人口在每个面内均匀分布并按面积分配到各社区")
                }
            };
            (main, sub)
        }
        (None, Lang::En) => (
            "community populations".into(),
            "people spread evenly inside each community".into(),
        ),
        (None, Lang::Zh) => ("社区人口".into(), "人口在各社区内均匀分布".into()),
    }
}

/// "20/21 communities" complete.
pub fn places_complete(s: &LevelSummary, lang: Lang) -> String {
    match (lang, s.places_are) {
        (Lang::En, are) => format!("{}/{} {are}", s.places_complete, s.places),
        (Lang::Zh, "communities") => format!("{}/{} 个社区", s.places_complete, s.places),
        (Lang::Zh, _) => format!("{}/{} 个需求要素", s.places_complete, s.places),
    }
}

/// How a life circle is judged, under the levels table.
pub fn level_rule(lang: Lang) -> String {
    match lang {
        Lang::En => "A place lives in a complete circle where every category the circle must \
             hold is within the circle's reach; the share is of residents where they are \
             known, else of the area. A community has a category when it is served at the \
             circle's radius."
            .into(),
        Lang::Zh => "某处所有应配置类别均在该生活圈半径内可达，即处于完整生活圈中；比例按人口计\
             （人口未知时按面积）。社区在该半径下对某类别达标，即视为拥有该类别。"
            .into(),
    }
}

/// An indicator value for reading: at most two decimals, no trailing zeros.
pub fn round_value(v: f64) -> String {
    crate::input::config::fmt_num((v * 100.0).round() / 100.0)
}

/// Why communities were not judged: "2 not applicable, 1 undefined".
pub fn not_judged(s: &IndicatorSummary, lang: Lang) -> String {
    let mut parts = Vec::new();
    if s.not_applicable > 0 {
        parts.push(match lang {
            Lang::En => format!("{} not applicable", s.not_applicable),
            Lang::Zh => format!("{} 个不适用", s.not_applicable),
        });
    }
    if s.undefined > 0 {
        parts.push(match lang {
            Lang::En => format!("{} without a value (denominator 0)", s.undefined),
            Lang::Zh => format!("{} 个无值（分母为 0）", s.undefined),
        });
    }
    parts.join(match lang {
        Lang::En => ", ",
        Lang::Zh => "，",
    })
}

/// How many judged communities meet an indicator: "16 of 21 judged".
pub fn meeting_count(meeting: usize, judged: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{meeting} of {judged} judged"),
        Lang::Zh => format!("参评 {judged} 个中 {meeting} 个"),
    }
}

/// The least-served list without communities.
pub fn no_communities_to_rank(lang: Lang) -> String {
    match lang {
        Lang::En => "There is no community layer, so there are no communities to rank; each \
             category's gap list below names the uncovered demand features."
            .into(),
        Lang::Zh => {
            "未提供社区图层，无法对社区排序；下文各类别的缺口表列出了未覆盖的需求要素。".into()
        }
    }
}

/// The rule the least-served list follows, and how many it lists of how many short of
/// full reach.
pub fn least_served_rule(
    categories: &[&str],
    any_target: bool,
    listed: usize,
    short: usize,
    lang: Lang,
) -> String {
    let names = categories.join(", ");
    match lang {
        Lang::En => {
            let which = if any_target {
                format!("the categories that have a target ({names})")
            } else {
                format!("all categories ({names}; none has a target)")
            };
            let how_many = match (short, listed) {
                (0, _) => "Every community has them fully within reach.".to_string(),
                (s, l) if s == l => format!(
                    "All {} short of full reach are listed; the others have every one of them \
                     fully within reach.",
                    count(s, "community", "communities")
                ),
                (s, l) => {
                    format!("The {l} lowest of the {s} communities short of full reach are listed.")
                }
            };
            format!(
                "Communities ranked by their lowest covered share among {which}, lowest \
                 first; ties go to the community with more residents. Each share is on its \
                 category's basis: of the community's residents for a population basis, of \
                 its area for an area or communities basis. {how_many}"
            )
        }
        Lang::Zh => {
            let which = if any_target {
                format!("有目标的类别（{names}）")
            } else {
                format!("全部类别（{names}；均无目标）")
            };
            let how_many = match (short, listed) {
                (0, _) => "所有社区的上述类别均完全可达。".to_string(),
                (s, l) if s == l => {
                    format!("未完全覆盖的 {s} 个社区全部列出，其余社区的上述类别均完全可达。")
                }
                (s, l) => format!("未完全覆盖的 {s} 个社区中列出最低的 {l} 个。"),
            };
            format!(
                "社区按其在{which}中的最低覆盖率从低到高排列；最低覆盖率相同时人口多者在前。\
                 各覆盖率按该类别的口径计算：人口口径为社区居民的覆盖比例，面积或社区口径为社区\
                 面积的覆盖比例。{how_many}"
            )
        }
    }
}

/// A least-served column head: the category and the basis of its shares.
pub fn share_head(s: &CategorySummary, lang: Lang) -> String {
    let basis = match s.basis {
        Basis::Population => basis_name(Basis::Population, lang),
        Basis::Area | Basis::Communities => basis_name(Basis::Area, lang),
    };
    match lang {
        Lang::En => format!("{} ({basis})", s.name),
        Lang::Zh => format!("{}（{basis}）", s.name),
    }
}

/// The residents and the area outside reach, with the gap counts.
pub fn outside_reach(s: &CategorySummary, lang: Lang) -> String {
    let residents = match (s.population, s.population_covered) {
        (Some(p), Some(c)) => Some(thousands((p - c).max(0.0))),
        _ => None,
    };
    let area = s.gap_area_m2.map(|a| area_m2(a, lang));
    match lang {
        Lang::En => {
            let what: Vec<String> = residents
                .map(|r| format!("{r} residents"))
                .into_iter()
                .chain(area.map(|a| format!("{a} of the area")))
                .collect();
            format!(
                "Outside the {} reach: {} ({}).",
                distance(s.radius_m),
                what.join(" and "),
                count(s.gaps, "gap", "gaps")
            )
        }
        Lang::Zh => {
            let what: Vec<String> = residents
                .map(|r| format!("居民 {r} 人"))
                .into_iter()
                .chain(area.map(|a| format!("面积 {a}")))
                .collect();
            format!(
                "{}服务范围以外：{}（缺口 {} 处）。",
                distance_in(s.radius_m, lang),
                what.join("，"),
                s.gaps
            )
        }
    }
}

/// A category without gaps.
pub fn no_gaps(s: &CategorySummary, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "No gaps: every place is within {} of a facility.{}",
            distance(s.radius_m),
            slivers_left_out(s.slivers_dropped, lang)
        ),
        Lang::Zh => format!(
            "无缺口：各处均在设施 {} 范围内。{}",
            distance_in(s.radius_m, lang),
            slivers_left_out(s.slivers_dropped, lang)
        ),
    }
}

/// " 3 slivers under the minimum gap area are left out of the list (their area is in the
/// gap area)."; nothing without slivers.
fn slivers_left_out(n: usize, lang: Lang) -> String {
    match (n, lang) {
        (0, _) => String::new(),
        (n, Lang::En) => format!(
            " {} under the minimum gap area {} left out of the list; their area is in the \
             gap area.",
            count(n, "sliver", "slivers"),
            if n == 1 { "is" } else { "are" }
        ),
        (n, Lang::Zh) => format!("小于最小缺口面积的碎片 {n} 处未列出，其面积计入缺口面积。"),
    }
}

/// Under a gap table: how many are listed of how many, the order, and the file with all.
pub fn gaps_note(
    listed: usize,
    s: &CategorySummary,
    population_basis: Option<&str>,
    lang: Lang,
) -> String {
    let file = format!("gaps_{}.geojson", s.name);
    match lang {
        Lang::En => {
            let which = if listed >= s.gaps {
                format!("Every gap is listed ({})", s.gaps)
            } else {
                format!("The {listed} largest of {} gaps", s.gaps)
            };
            let people = population_basis
                .map(|b| format!(" Residents in a gap: {b}."))
                .unwrap_or_default();
            format!(
                "{which}, largest area first (uncovered demand points: most residents first); \
                 ranks as in {file}, which holds every gap with its shape.{}{people}",
                slivers_left_out(s.slivers_dropped, lang)
            )
        }
        Lang::Zh => {
            let which = if listed >= s.gaps {
                format!("全部 {} 处缺口均已列出", s.gaps)
            } else {
                format!("{} 处缺口中面积最大的 {listed} 处", s.gaps)
            };
            let people = population_basis
                .map(|b| format!("缺口人口：{b}。"))
                .unwrap_or_default();
            format!(
                "{which}，按面积从大到小（未覆盖的需求点按人口），序号与 {file} 一致，该文件包含\
                 全部缺口及其形状。{}{people}",
                slivers_left_out(s.slivers_dropped, lang)
            )
        }
    }
}

/// "1 gap", "3 gaps".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "1 invalid boundary in communities.geojson was repaired ...".
pub fn boundaries_note(n: usize, left_out: bool, path: &str, lang: Lang) -> String {
    let (boundaries, was) = if n == 1 {
        ("boundary", "was")
    } else {
        ("boundaries", "were")
    };
    match (lang, left_out) {
        (Lang::En, false) => format!(
            "{n} invalid {boundaries} in {path} {was} repaired and measured as repaired \
             (listed below)."
        ),
        (Lang::En, true) => format!(
            "{n} invalid {boundaries} in {path} could not be repaired and {was} left out of \
             every figure (listed below)."
        ),
        (Lang::Zh, false) => {
            format!("{path} 中 {n} 个无效边界已修复，并按修复后的形状计算（见下表）。")
        }
        (Lang::Zh, true) => {
            format!("{path} 中 {n} 个无效边界无法修复，未计入任何数字（见下表）。")
        }
    }
}

/// A boundary that was left out, in the "area used" column.
pub fn left_out(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "left out",
        Lang::Zh => "未计入",
    }
}

/// Demand outside every community.
pub fn demand_outside(n: usize, weight: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "{} wholly outside every community; their weight of {} is left out of the \
             figures.",
            if n == 1 {
                "1 demand feature lies".to_string()
            } else {
                format!("{n} demand features lie")
            },
            thousands(weight)
        ),
        Lang::Zh => format!(
            "{n} 个需求要素完全位于社区以外，其权重 {} 未计入各项数字。",
            thousands(weight)
        ),
    }
}

/// Facilities with no category.
pub fn without_category(n: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "{} no category (no rule matched and no category field): counted, but serving no \
             category.",
            if n == 1 {
                "1 facility has".to_string()
            } else {
                format!("{n} facilities have")
            }
        ),
        Lang::Zh => {
            format!("{n} 处设施无类别（无规则匹配且无类别字段）：已计数，但不计入任何类别。")
        }
    }
}

/// Slivers dropped from a category's gap layer.
pub fn slivers(s: &CategorySummary, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "{}: {} under the minimum gap area left out of gaps_{}.geojson (their area is \
             still in the gap area).",
            s.name,
            count(s.slivers_dropped, "gap sliver", "gap slivers"),
            s.name
        ),
        Lang::Zh => format!(
            "{}：{} 处小于最小缺口面积的碎片未写入 gaps_{}.geojson（其面积仍计入缺口面积）。",
            s.name, s.slivers_dropped, s.name
        ),
    }
}

/// When every boundary was valid and nothing was left out.
pub fn no_data_notes(lang: Lang) -> String {
    match lang {
        Lang::En => "Every boundary was valid; no feature was left out.".into(),
        Lang::Zh => "所有边界均有效，没有要素被排除。".into(),
    }
}

/// Where a map would be when maps were not drawn in this run.
pub fn map_off(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "No map: maps were not drawn in this run (maps = false or --no-maps).",
        Lang::Zh => "无地图：本次运行未绘制地图（maps = false 或 --no-maps）。",
    }
}

/// Where a map would be when it could not be drawn.
pub fn map_missing(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "No map: the map of this category is not available.",
        Lang::Zh => "无地图：该类别的地图不可用。",
    }
}

/// The assumptions every figure rests on (`summary.json` has them in English).
pub fn assumptions(analysis: &Analysis, lang: Lang) -> Vec<String> {
    let en = lang == Lang::En;
    let pick = |e: &str, z: &str| if en { e.to_string() } else { z.to_string() };
    let distance_model = analysis.distance_model.as_str();
    let reach = if distance_model == "straight-line circle" {
        pick(
            "Reach is a straight-line circle around each facility (no street network): it \
             overstates walking reach where streets are sparse or blocked.",
            "可达范围为以各设施为圆心的直线距离圆（未考虑路网）：在街道稀疏或被阻隔处会高估步行可达范围。",
        )
    } else if let Some(n) = &analysis.inputs.network {
        network_assumption(n, lang)
    } else if en {
        format!("Reach is modelled as: {distance_model}.")
    } else {
        format!("可达范围的模型：{distance_model}。")
    };
    let people = match analysis.inputs.demand.as_ref().map(|d| d.kind) {
        Some(DemandKind::Points) => pick(
            "People live at the demand points: a point is covered when its nearest facility \
             is within the radius, and counts with its weight.",
            "人口位于需求点上：最近设施在半径内的点即被覆盖，按其权重计入。",
        ),
        Some(DemandKind::Polygons) => pick(
            "People are spread evenly inside each demand polygon (covered population = \
             covered share of the polygon's area x its weight); with communities, each \
             polygon is split over them by area.",
            "人口在每个需求面内均匀分布（覆盖人口 = 面积覆盖比例 × 权重）；有社区图层时，每个面按面积分配到各社区。",
        ),
        None => pick(
            "People are spread evenly inside each community: covered population = covered \
             share of the area x population.",
            "人口在各社区内均匀分布：覆盖人口 = 面积覆盖比例 × 人口。",
        ),
    };
    let mut out = vec![reach, people];
    if analysis.inputs.demand.is_some() && analysis.inputs.communities.is_some() {
        out.push(pick(
            "Demand outside every community is left out of the figures (counted under \
             inputs.demand).",
            "位于所有社区以外的需求不计入各项数字（在 inputs.demand 中计数）。",
        ));
    }
    out.push(pick(
        "A community is served when the covered share of its area is at or above the served \
         threshold.",
        "社区面积的覆盖比例达到或超过达标阈值时，该社区即为达标社区。",
    ));
    out.push(pick(
        "Distances and areas are measured in the working CRS (a UTM zone by default), after \
         converting GCJ-02/BD-09 input to WGS 84.",
        "距离和面积在计算坐标系（默认为 UTM 分带）中量算；GCJ-02/BD-09 输入先转换为 WGS 84。",
    ));
    if analysis.tiles.zones.len() > 1 {
        let zones = working_crs(analysis, Lang::En);
        out.push(if en {
            format!(
                "The study spans more UTM zones than one can measure within 0.1 %: each place \
                 is measured in the zone holding the centre of its bounding box ({zones}), \
                 with every facility within the largest radius of it; service areas are cut \
                 where the zones meet."
            )
        } else {
            format!(
                "研究范围跨越多个 UTM 分带，单一分带的尺度误差将超过 0.1%：每个地块在其外包矩形中心所在的分带中量算（{}），并计入其最大半径内的全部设施；服务范围在分带交界处切分。",
                working_crs(analysis, Lang::Zh)
            )
        });
    }
    if !analysis.levels.is_empty() {
        out.push(pick(
            "Life circles: a category is within reach of a community when it is served at the \
             level's radius (of a demand point: its nearest facility is within the radius); \
             people live in a complete circle where every required category reaches.",
            "生活圈：社区在该层级半径下对某类别达标，即该类别可达（需求点：最近设施在半径内）；所有应配置类别均可达之处，居民即处于完整生活圈中。",
        ));
    }
    if !analysis.indicators.is_empty() {
        out.push(pick(
            "Indicators: a facility belongs to the community it lies in (or the one its \
             community field names); a community with a zero denominator has no value and is \
             not judged.",
            "指标：设施归属其所在社区（或其社区字段指定的社区）；分母为零的社区无指标值，不参与判定。",
        ));
    }
    out
}

/// `v` with at most `decimals` decimals and no trailing zeros (`12.50` -> `12.5`, `-0` ->
/// `0`): lengths in the maps' SVG and sizes in the QGIS styles.
pub fn trimmed(v: f64, decimals: usize) -> String {
    let mut s = format!("{v:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// Text safe inside XML and HTML, as element content or a quoted attribute value (the
/// maps' SVG, the QGIS styles, the report): markup characters become references, line
/// breaks and tabs character references (kept in attribute values), and the characters
/// XML 1.0 cannot hold are dropped.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Heading of a category's siting: "Where to add market (东海街)".
pub fn siting_heading(s: &crate::analysis::siting::SitingResult, lang: Lang) -> String {
    let scope = s.group.as_deref().map(|g| match lang {
        Lang::En => format!(" ({g})"),
        Lang::Zh => format!("（{g}）"),
    });
    match lang {
        Lang::En => format!("Where to add {}{}", s.category, scope.unwrap_or_default()),
        Lang::Zh => format!("{} 设施新增选址{}", s.category, scope.unwrap_or_default()),
    }
}

/// What a siting found, in a sentence: how many sites, coverage before and after (re-checked),
/// the target, and what is proven.
pub fn siting_finding(s: &crate::analysis::siting::SitingResult, lang: Lang) -> String {
    let n = s.added.len();
    let before = pct(s.coverage_before);
    let after = pct(s.coverage_after);
    let target = s.target.map(pct);
    let model = words_model(&s.distance_model, lang);
    let radius = thousands(s.radius_m);
    match (lang, s.problem) {
        (_, "target") if n == 0 && s.target_reachable => match lang {
            Lang::En => format!(
                "Nothing to add: coverage is already {before}, at or above the target {}.",
                target.unwrap_or_default()
            ),
            Lang::Zh => format!(
                "无需新增：覆盖率已为 {before}，达到目标 {}。",
                target.unwrap_or_default()
            ),
        },
        (Lang::En, "target") if s.target_reachable => format!(
            "{} from {before} to {after} ({model}, {radius} m), \
             meeting the target {}; no fewer than {} can{}. Candidates: {} ({}).",
            if n == 1 {
                "1 new site brings coverage".to_string()
            } else {
                format!("{n} new sites bring coverage")
            },
            target.unwrap_or_default(),
            s.fewest_possible.unwrap_or(n),
            if s.proven_optimal {
                " (proven)"
            } else {
                " (a lower bound)"
            },
            thousands(s.candidates as f64),
            s.candidates_source
        ),
        (Lang::Zh, "target") if s.target_reachable => {
            format!(
            "新增 {n} 处可使覆盖率由 {before} 升至 {after}（{model}，{radius} 米），达到目标 {}；\
             至少需要 {} 处{}。候选点：{} 个（{}）。",
            target.unwrap_or_default(),
            s.fewest_possible.unwrap_or(n),
            if s.proven_optimal { "（已证明）" } else { "（下界）" },
            thousands(s.candidates as f64),
            s.candidates_source
        )
        }
        (Lang::En, "target") => format!(
            "The target {} cannot be reached with these candidates: all {n} useful sites \
             together bring coverage from {before} to {after} ({model}, {radius} m).",
            target.unwrap_or_default()
        ),
        (Lang::Zh, "target") => format!(
            "现有候选点无法达到目标 {}：全部 {n} 处有效候选点合计使覆盖率由 {before} 升至 {after}\
             （{model}，{radius} 米）。",
            target.unwrap_or_default()
        ),
        (Lang::En, _) => format!(
            "The {n} best new sites bring coverage from {before} to {after} ({model}, {radius} m); \
             no {n} sites can reach more than {} people ({}). Candidates: {} ({}).",
            thousands(s.upper_bound_population),
            if s.proven_optimal { "proven optimal" } else { "the bound" },
            thousands(s.candidates as f64),
            s.candidates_source
        ),
        (Lang::Zh, _) => format!(
            "最优的 {n} 处新增设施使覆盖率由 {before} 升至 {after}（{model}，{radius} 米）；\
             任何 {n} 处设施覆盖人口不超过 {}（{}）。候选点：{} 个（{}）。",
            thousands(s.upper_bound_population),
            if s.proven_optimal {
                "已证明最优"
            } else {
                "上界"
            },
            thousands(s.candidates as f64),
            s.candidates_source
        ),
    }
}

/// The distance model as the report words it.
fn words_model(model: &str, lang: Lang) -> String {
    crate::output::map::words::distance_model(model, lang)
}

/// Column heads of a siting's ranked list.
pub fn siting_heads(lang: Lang) -> [&'static str; 4] {
    match lang {
        Lang::En => ["Rank", "Site", "People added", "Coverage after"],
        Lang::Zh => ["顺序", "选址", "新增覆盖人口", "建成后覆盖率"],
    }
}

/// The first row of a siting's list: the existing facilities.
pub fn siting_existing(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "(existing facilities)",
        Lang::Zh => "（现有设施）",
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
