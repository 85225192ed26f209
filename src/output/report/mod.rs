//! `report.html` and `report.md`: the figures, maps and gaps of a run as an appendix to a
//! planning report, in English or Chinese.
//!
//! Both files render one [`Doc`], built once from the analysis, so they hold the same
//! tables: the HTML is a single self-contained page for reading and printing (A4), the
//! Markdown is for pasting into documents. Every figure says what it is a share of.

mod html;
mod markdown;

use crate::analysis::indicator::{condition, formula};
use crate::analysis::summary::{round6, CategorySummary};
use crate::input::config::{Basis, Lang, Products};
use crate::output::text::{self, term, Term};
use crate::pipeline::{Analysis, CategoryResult, GroupResult, Owner};

/// Gaps listed per category; all of them are in `gaps_<category>.geojson`.
pub const GAPS_LISTED: usize = 10;

/// Communities listed as least served.
pub const LEAST_SERVED_LISTED: usize = 20;

/// Which map: `(category index, group index)`, the group `None` for the study area's map
/// and `Some` for a group's (its position in `analysis.groups`).
pub type MapKey = (usize, Option<usize>);

/// `report.html`: one self-contained HTML5 page. `maps` holds `(which map, SVG)` for the
/// maps drawn (none when maps are off); each is inlined as a `data:` image.
pub fn report_html(analysis: &Analysis, products: &Products, maps: &[(MapKey, String)]) -> String {
    html::render(&document(analysis, products), maps)
}

/// `report.md`: the same tables in GitHub-flavoured Markdown. `maps` holds
/// `(which map, relative path of its PNG)`, e.g. `maps/market.png`.
pub fn report_md(analysis: &Analysis, products: &Products, maps: &[(MapKey, String)]) -> String {
    markdown::render(&document(analysis, products), maps)
}

/// The report, ready to render: text only, nothing escaped yet.
struct Doc {
    lang: Lang,
    title: String,
    kind: &'static str,
    facts: Vec<Def>,
    sections: Vec<Section>,
    attribution: Option<String>,
}

/// A numbered section; each starts a printed page.
struct Section {
    id: String,
    title: String,
    blocks: Vec<Block>,
}

enum Block {
    Heading(String),
    Text(String),
    Note(String),
    List(Vec<String>),
    Defs(Vec<Def>),
    Table(Table),
    /// The map of a category (or of a category in a group), with its caption.
    Map {
        map: MapKey,
        caption: String,
    },
}

/// A term and what it says; `detail` is a file path or code, shown smaller.
struct Def {
    term: String,
    text: String,
    detail: Option<String>,
}

struct Table {
    id: String,
    /// As wide as its content rather than the page.
    compact: bool,
    head: Vec<Head>,
    rows: Vec<Row>,
}

struct Head {
    text: String,
    col: Col,
}

/// How a column's cells are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    /// Text that wraps.
    Text,
    /// A short name kept on one line (a street, a community).
    Short,
    /// A figure: right-aligned, on one line.
    Number,
}

/// A row; `key` names it for scripts and tests (`data-key` in the HTML).
struct Row {
    key: String,
    cells: Vec<Cell>,
}

#[derive(Default)]
struct Cell {
    text: String,
    /// A second, smaller line: how a figure was reached, an id.
    sub: Option<String>,
    /// A verdict cell: met, not met, or no target.
    verdict: Option<Option<bool>>,
}

impl Cell {
    fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    fn sub(mut self, sub: impl Into<String>) -> Cell {
        let sub = sub.into();
        self.sub = (!sub.is_empty()).then_some(sub);
        self
    }

    fn verdict(meets: Option<bool>, lang: Lang) -> Cell {
        Cell {
            text: text::verdict_cell(meets, lang),
            verdict: Some(meets),
            ..Cell::default()
        }
    }
}

fn head(items: &[(&str, Col)]) -> Vec<Head> {
    items
        .iter()
        .map(|&(text, col)| Head {
            text: text.to_string(),
            col,
        })
        .collect()
}

fn document(analysis: &Analysis, products: &Products) -> Doc {
    let lang = products.lang;
    let group_maps = products.maps && products.maps_per_group;
    let mut sections = vec![results(analysis, lang, group_maps)];
    if !analysis.levels.is_empty() || !analysis.indicators.is_empty() {
        sections.push(levels_and_indicators(analysis, lang));
    }
    if !analysis.categories.is_empty() {
        sections.push(least_served_section(analysis, lang));
    }
    for c in 0..analysis.categories.len() {
        sections.push(category_section(analysis, c, lang));
    }
    sections.push(notes(analysis, lang));
    for (n, s) in sections.iter_mut().enumerate() {
        s.title = format!("{} {}", n + 1, s.title);
    }
    Doc {
        lang,
        title: products.title.clone(),
        kind: term(Term::ReportKind, lang),
        facts: facts(analysis, products),
        sections,
        attribution: products.attribution.clone(),
    }
}

/// The run's facts: what was read, the working CRS, the distance model.
fn facts(analysis: &Analysis, products: &Products) -> Vec<Def> {
    let lang = products.lang;
    let i = &analysis.inputs;
    let mut out = Vec::new();
    if let Some(c) = &i.communities {
        out.push(Def {
            term: term(Term::Communities, lang).into(),
            text: text::communities_fact(c, lang),
            detail: Some(text::layer_detail(&c.path, &c.crs, c.crs_source, lang)),
        });
    }
    if let Some(d) = &i.demand {
        out.push(Def {
            term: term(Term::Demand, lang).into(),
            text: text::demand_fact(d, lang),
            detail: Some(text::layer_detail(&d.path, &d.crs, d.crs_source, lang)),
        });
    }
    let f = &i.facilities;
    out.push(Def {
        term: term(Term::Facilities, lang).into(),
        text: text::facilities_fact(f, lang),
        detail: Some(text::layer_detail(&f.path, &f.crs, f.crs_source, lang)),
    });
    out.push(Def {
        term: term(Term::WorkingCrs, lang).into(),
        text: text::working_crs(analysis, lang),
        detail: None,
    });
    out.push(Def {
        term: term(Term::DistanceModel, lang).into(),
        text: text::distance_model(&analysis.distance_model, lang),
        detail: None,
    });
    if let Some(n) = &i.network {
        out.push(Def {
            term: term(Term::StreetNetwork, lang).into(),
            text: text::network_fact(n, lang),
            detail: Some(n.path.clone()),
        });
    }
    if let Some(a) = &products.attribution {
        out.push(Def {
            term: term(Term::Attribution, lang).into(),
            text: a.clone(),
            detail: None,
        });
    }
    out.push(Def {
        term: term(Term::ProducedBy, lang).into(),
        text: format!("lifecircle {}", env!("CARGO_PKG_VERSION")),
        detail: None,
    });
    out
}

/// Section 1: every category against its target, then per group (each group's rows
/// followed by its maps when `group_maps`).
fn results(analysis: &Analysis, lang: Lang, group_maps: bool) -> Section {
    let mut blocks = Vec::new();
    let rows = analysis
        .categories
        .iter()
        .map(|cat| {
            let s = &cat.summary;
            Row {
                key: s.name.clone(),
                cells: vec![
                    Cell::new(text::category_title(s)).sub(text::category_sub(s, lang)),
                    Cell::new(text::distance_in(s.radius_m, lang))
                        .sub(reach_basis(&s.radius_basis, lang)),
                    Cell::new(text::basis_name(s.basis, lang))
                        .sub(text::basis_reason(&s.basis_reason, lang)),
                    match s.population_basis {
                        Some(_) => {
                            let (main, sub) = text::population_basis(&analysis.inputs, lang);
                            Cell::new(main).sub(sub)
                        }
                        None => Cell::new(term(Term::Blank, lang)),
                    },
                    Cell::new(target(s.target, lang)),
                    Cell::new(text::share_text(&text::coverage_pct(s), s.basis, lang))
                        .sub(text::other_figures(s, lang)),
                    Cell::verdict(s.meets_target, lang),
                ],
            }
        })
        .collect();
    blocks.push(Block::Table(Table {
        id: "summary".into(),
        compact: false,
        head: head(&[
            (term(Term::Category, lang), Col::Text),
            (term(Term::Reach, lang), Col::Text),
            (term(Term::CoverageBasis, lang), Col::Text),
            (term(Term::PopulationBasis, lang), Col::Text),
            (term(Term::Target, lang), Col::Number),
            (term(Term::Reached, lang), Col::Text),
            (term(Term::Verdict, lang), Col::Text),
        ]),
        rows,
    }));
    let thresholds: Vec<f64> = analysis
        .categories
        .iter()
        .map(|c| c.summary.served_threshold)
        .collect();
    let common = thresholds
        .first()
        .filter(|&&t| thresholds.iter().all(|&u| u == t))
        .copied();
    if !analysis.communities.is_empty() {
        blocks.push(Block::Note(text::served_rule(common, lang)));
    }
    if !analysis.groups.is_empty() {
        let field = analysis.group_title();
        blocks.push(Block::Heading(text::by_group(field, lang)));
        if group_maps {
            for (i, g) in analysis.groups.iter().enumerate() {
                blocks.push(Block::Heading(g.group.clone()));
                blocks.push(Block::Table(groups_table(
                    analysis,
                    &analysis.groups[i..=i],
                    &format!("groups-{}", i + 1),
                    lang,
                )));
                for (c, s) in g.categories.iter().enumerate() {
                    blocks.push(Block::Map {
                        map: (c, Some(i)),
                        caption: format!(
                            "{} · {}{}{}",
                            text::category_title(s),
                            g.group,
                            if lang == Lang::Zh { "：" } else { ": " },
                            text::headline(s, lang)
                        ),
                    });
                }
            }
        } else {
            blocks.push(Block::Table(groups_table(
                analysis,
                &analysis.groups,
                "groups",
                lang,
            )));
        }
    }
    if let Some(table) = circle_against_network(analysis, lang) {
        blocks.push(Block::Heading(term(Term::CircleVsNetwork, lang).into()));
        blocks.push(Block::Table(table));
    }
    let sources: Vec<Def> = analysis
        .categories
        .iter()
        .filter_map(|c| {
            c.summary.source.as_ref().map(|src| Def {
                term: text::category_title(&c.summary).to_string(),
                text: src.clone(),
                detail: None,
            })
        })
        .collect();
    if !sources.is_empty() {
        blocks.push(Block::Note(term(Term::Sources, lang).into()));
        blocks.push(Block::Defs(sources));
    }
    Section {
        id: "results".into(),
        title: term(Term::Results, lang).into(),
        blocks,
    }
}

/// The figures of `groups`, a row per group and category.
fn groups_table(analysis: &Analysis, groups: &[GroupResult], id: &str, lang: Lang) -> Table {
    let field = analysis.group_title();
    let mut rows = Vec::new();
    for g in groups {
        for s in &g.categories {
            rows.push(Row {
                key: format!("{}/{}", g.group, s.name),
                cells: vec![
                    Cell::new(g.group.clone()),
                    Cell::new(s.name.clone()),
                    Cell::new(text::basis_name(s.basis, lang)),
                    Cell::new(target(s.target, lang)),
                    Cell::new(text::share_text(&text::coverage_pct(s), s.basis, lang)),
                    Cell::verdict(s.meets_target, lang),
                    Cell::new(served(s, lang)),
                ],
            });
        }
    }
    Table {
        id: id.into(),
        compact: false,
        head: head(&[
            (field, Col::Short),
            (term(Term::Category, lang), Col::Short),
            (term(Term::CoverageBasis, lang), Col::Text),
            (term(Term::Target, lang), Col::Number),
            (term(Term::Reached, lang), Col::Text),
            (term(Term::Verdict, lang), Col::Text),
            (term(Term::Served, lang), Col::Number),
        ]),
        rows,
    }
}

/// Each category (and group) measured along the streets beside the same figure with
/// straight-line circles; `None` when no category was measured on a street network.
fn circle_against_network(analysis: &Analysis, lang: Lang) -> Option<Table> {
    let row = |key: String, group: Option<&str>, s: &CategorySummary| {
        let circle = s.circle_coverage?;
        let mut cells = Vec::new();
        if !analysis.groups.is_empty() {
            cells.push(Cell::new(group.unwrap_or(term(Term::Blank, lang))));
        }
        cells.extend([
            Cell::new(text::category_title(s)),
            Cell::new(text::distance_in(s.radius_m, lang)),
            Cell::new(text::basis_name(s.basis, lang)),
            Cell::new(text::pct(s.coverage)),
            Cell::new(text::pct(circle)),
            Cell::new(format!("{:+.1} pp", (circle - s.coverage) * 100.0)),
        ]);
        Some(Row { key, cells })
    };
    let mut rows: Vec<Row> = analysis
        .categories
        .iter()
        .filter_map(|c| row(c.summary.name.clone(), None, &c.summary))
        .collect();
    if rows.is_empty() {
        return None;
    }
    for g in &analysis.groups {
        for s in &g.categories {
            rows.extend(row(format!("{}/{}", g.group, s.name), Some(&g.group), s));
        }
    }
    let field = analysis.group_title();
    let mut heads = Vec::new();
    if !analysis.groups.is_empty() {
        heads.push((field, Col::Short));
    }
    heads.extend([
        (term(Term::Category, lang), Col::Text),
        (term(Term::Reach, lang), Col::Number),
        (term(Term::CoverageBasis, lang), Col::Text),
        (term(Term::AlongStreets, lang), Col::Number),
        (term(Term::WithinCircles, lang), Col::Number),
        (term(Term::Overstatement, lang), Col::Number),
    ]);
    Some(Table {
        id: "circle-vs-network".into(),
        compact: false,
        head: head(&heads),
        rows,
    })
}

/// How a reach was given, when it says more than the metres shown ("15 min at 4 km/h").
fn reach_basis(basis: &str, lang: Lang) -> String {
    let metres_only = basis
        .strip_suffix(" m")
        .is_some_and(|m| m.parse::<f64>().is_ok());
    if metres_only {
        String::new()
    } else {
        text::radius_basis(basis, lang)
    }
}

fn target(t: Option<f64>, lang: Lang) -> String {
    t.map(text::target_pct)
        .unwrap_or_else(|| term(Term::Blank, lang).into())
}

fn served(s: &CategorySummary, lang: Lang) -> String {
    if s.communities > 0 {
        format!("{}/{}", s.communities_served, s.communities)
    } else {
        term(Term::Blank, lang).into()
    }
}

/// Where the category's residents are taken to live, in one line; `None` when the
/// population is not known.
fn population_basis(analysis: &Analysis, s: &CategorySummary, lang: Lang) -> Option<String> {
    s.population_basis.as_ref()?;
    let (main, sub) = text::population_basis(&analysis.inputs, lang);
    Some(match lang {
        Lang::En => format!("{main}, {sub}"),
        Lang::Zh => format!("{main}，{sub}"),
    })
}

/// A name cell: the label, with the name under it when there is a label, else the name.
fn titled(label: Option<&str>, name: &str) -> Cell {
    match label {
        Some(label) => Cell::new(label).sub(name),
        None => Cell::new(name),
    }
}

/// Section 2: life-circle levels and ratio indicators.
fn levels_and_indicators(analysis: &Analysis, lang: Lang) -> Section {
    let mut blocks = Vec::new();
    if !analysis.levels.is_empty() {
        blocks.push(Block::Heading(term(Term::LifeCircles, lang).into()));
        let rows = analysis
            .levels
            .iter()
            .map(|l| {
                let s = &l.summary;
                let most = s
                    .most_missing()
                    .unwrap_or_else(|| term(Term::Blank, lang).into());
                Row {
                    key: s.name.clone(),
                    cells: vec![
                        titled(s.label.as_deref(), &s.name),
                        Cell::new(text::distance_in(s.radius_m, lang))
                            .sub(reach_basis(&s.radius_basis, lang)),
                        Cell::new(s.categories.join(", ")),
                        Cell::new(target(s.target, lang)),
                        Cell::new(text::share_of(s.complete_share, s.basis, lang)),
                        Cell::verdict(s.meets_target, lang),
                        Cell::new(text::places_complete(s, lang)),
                        Cell::new(most),
                    ],
                }
            })
            .collect();
        blocks.push(Block::Table(Table {
            id: "levels".into(),
            compact: false,
            head: head(&[
                (term(Term::Level, lang), Col::Text),
                (term(Term::Reach, lang), Col::Text),
                (term(Term::Required, lang), Col::Text),
                (term(Term::Target, lang), Col::Number),
                (term(Term::Complete, lang), Col::Text),
                (term(Term::Verdict, lang), Col::Text),
                (term(Term::PlacesComplete, lang), Col::Number),
                (term(Term::MostMissing, lang), Col::Text),
            ]),
            rows,
        }));
        blocks.push(Block::Note(text::level_rule(lang)));
        push_sources(
            &mut blocks,
            analysis.levels.iter().map(|l| {
                let s = &l.summary;
                (s.label.as_ref().unwrap_or(&s.name), s.source.as_ref())
            }),
            lang,
        );
    }
    if !analysis.indicators.is_empty() {
        blocks.push(Block::Heading(term(Term::Indicators, lang).into()));
        let rows = analysis
            .indicators
            .iter()
            .map(|ind| {
                let s = &ind.summary;
                let range = s
                    .value_range
                    .map(|[lo, hi]| {
                        format!("{} – {}", text::round_value(lo), text::round_value(hi))
                    })
                    .unwrap_or_else(|| term(Term::Blank, lang).into());
                Row {
                    key: s.name.clone(),
                    cells: vec![
                        titled(s.label.as_deref(), &s.name),
                        Cell::new(s.bound.clone()).sub(formula(&s.spec, lang)),
                        Cell::new(
                            condition(&s.spec, lang)
                                .unwrap_or_else(|| term(Term::EveryCommunity, lang).into()),
                        ),
                        Cell::new(format!("{}/{}", s.judged, s.communities))
                            .sub(text::not_judged(s, lang)),
                        Cell::new(
                            s.share_meeting
                                .map(text::pct)
                                .unwrap_or_else(|| term(Term::Blank, lang).into()),
                        )
                        .sub(text::meeting_count(s.meeting, s.judged, lang)),
                        Cell::new(text::target_pct(s.target_share)),
                        Cell::verdict(s.meets_target, lang),
                        Cell::new(range),
                    ],
                }
            })
            .collect();
        blocks.push(Block::Table(Table {
            id: "indicators".into(),
            compact: false,
            head: head(&[
                (term(Term::Indicator, lang), Col::Text),
                (term(Term::Rule, lang), Col::Text),
                (term(Term::AppliesTo, lang), Col::Text),
                (term(Term::Judged, lang), Col::Number),
                (term(Term::ShareMeeting, lang), Col::Number),
                (term(Term::TargetShare, lang), Col::Number),
                (term(Term::Verdict, lang), Col::Text),
                (term(Term::ValueRange, lang), Col::Number),
            ]),
            rows,
        }));
        push_sources(
            &mut blocks,
            analysis.indicators.iter().map(|i| {
                let s = &i.summary;
                (s.label.as_ref().unwrap_or(&s.name), s.source.as_ref())
            }),
            lang,
        );
    }
    Section {
        id: "circles".into(),
        title: term(Term::LevelsAndIndicators, lang).into(),
        blocks,
    }
}

fn push_sources<'a>(
    blocks: &mut Vec<Block>,
    items: impl Iterator<Item = (&'a String, Option<&'a String>)>,
    lang: Lang,
) {
    let defs: Vec<Def> = items
        .filter_map(|(name, src)| {
            src.map(|src| Def {
                term: name.clone(),
                text: src.clone(),
                detail: None,
            })
        })
        .collect();
    if !defs.is_empty() {
        blocks.push(Block::Note(term(Term::Sources, lang).into()));
        blocks.push(Block::Defs(defs));
    }
}

/// A community's covered share for a category, on the category's basis: of its residents
/// for a population basis, of its area for an area or communities basis (served is judged
/// on the area). `None` when a population basis meets a community without residents.
fn community_share(cat: &CategoryResult, k: usize) -> Option<f64> {
    let cov = cat.communities.get(k)?;
    match cat.summary.basis {
        Basis::Population => match (cov.population, cov.population_covered) {
            (Some(p), Some(c)) if p > 0.0 => Some((c / p).clamp(0.0, 1.0)),
            _ => None,
        },
        Basis::Area | Basis::Communities => Some(cov.share),
    }
}

/// A community in the least-served ranking.
#[derive(Debug, Clone, PartialEq)]
struct Ranked {
    /// Position in `Analysis::communities`.
    community: usize,
    /// Covered share per category (all of them, in order), on each category's basis.
    shares: Vec<Option<f64>>,
    /// The lowest share among the ranking categories.
    lowest: f64,
}

/// The categories the ranking looks at: those with a target, or all when none has one.
fn ranking_categories(analysis: &Analysis) -> Vec<usize> {
    let with_target: Vec<usize> = (0..analysis.categories.len())
        .filter(|&c| analysis.categories[c].summary.target.is_some())
        .collect();
    if with_target.is_empty() {
        (0..analysis.categories.len()).collect()
    } else {
        with_target
    }
}

/// The communities short of full reach in a ranking category, least served first: by
/// their lowest covered share among `ranking_categories`, then more residents first, then
/// input order.
fn least_served(analysis: &Analysis) -> Vec<Ranked> {
    let judged = ranking_categories(analysis);
    let mut out: Vec<Ranked> = (0..analysis.communities.len())
        .filter_map(|k| {
            let shares: Vec<Option<f64>> = analysis
                .categories
                .iter()
                .map(|cat| community_share(cat, k))
                .collect();
            let lowest = judged
                .iter()
                .filter_map(|&c| shares[c])
                .min_by(f64::total_cmp)?;
            (round6(lowest) < 1.0).then_some(Ranked {
                community: k,
                shares,
                lowest,
            })
        })
        .collect();
    let residents = |r: &Ranked| analysis.communities[r.community].population.unwrap_or(0.0);
    out.sort_by(|a, b| {
        a.lowest
            .total_cmp(&b.lowest)
            .then(residents(b).total_cmp(&residents(a)))
            .then(a.community.cmp(&b.community))
    });
    out
}

/// Section 3: the twenty least-served communities.
fn least_served_section(analysis: &Analysis, lang: Lang) -> Section {
    let mut blocks = Vec::new();
    let section = |blocks| Section {
        id: "least-served".into(),
        title: term(Term::LeastServed, lang).into(),
        blocks,
    };
    if analysis.communities.is_empty() {
        blocks.push(Block::Text(text::no_communities_to_rank(lang)));
        return section(blocks);
    }
    let judged = ranking_categories(analysis);
    let names: Vec<&str> = judged
        .iter()
        .map(|&c| analysis.categories[c].summary.name.as_str())
        .collect();
    let ranked = least_served(analysis);
    let listed = ranked.len().min(LEAST_SERVED_LISTED);
    let any_target = analysis
        .categories
        .iter()
        .any(|c| c.summary.target.is_some());
    blocks.push(Block::Text(text::least_served_rule(
        &names,
        any_target,
        listed,
        ranked.len(),
        lang,
    )));
    if ranked.is_empty() {
        return section(blocks);
    }
    let grouped = analysis.group_field.is_some() && analysis.communities[0].group.is_some();
    let mut heads: Vec<Head> = head(&[
        (term(Term::Rank, lang), Col::Number),
        (term(Term::Community, lang), Col::Short),
    ]);
    if grouped {
        heads.push(Head {
            text: analysis.group_title().to_string(),
            col: Col::Short,
        });
    }
    heads.push(Head {
        text: term(Term::Residents, lang).into(),
        col: Col::Number,
    });
    for cat in &analysis.categories {
        heads.push(Head {
            text: text::share_head(&cat.summary, lang),
            col: Col::Number,
        });
    }
    heads.push(Head {
        text: term(Term::Lowest, lang).into(),
        col: Col::Number,
    });
    let none = || term(Term::Blank, lang).to_string();
    let rows = ranked
        .iter()
        .take(LEAST_SERVED_LISTED)
        .enumerate()
        .map(|(i, r)| {
            let c = &analysis.communities[r.community];
            let mut cells = vec![Cell::new((i + 1).to_string()), community_cell(c)];
            if grouped {
                cells.push(Cell::new(c.group.clone().unwrap_or_else(none)));
            }
            cells.push(Cell::new(
                c.population.map(text::thousands).unwrap_or_else(none),
            ));
            for share in &r.shares {
                cells.push(Cell::new(share.map(text::pct).unwrap_or_else(none)));
            }
            cells.push(Cell::new(text::pct(r.lowest)));
            Row {
                key: c.id.clone(),
                cells,
            }
        })
        .collect();
    blocks.push(Block::Table(Table {
        id: "least-served".into(),
        compact: false,
        head: heads,
        rows,
    }));
    section(blocks)
}

fn community_cell(c: &crate::input::load::Community) -> Cell {
    match &c.name {
        Some(name) if name != &c.id => Cell::new(name.clone()).sub(c.id.clone()),
        _ => Cell::new(c.id.clone()),
    }
}

/// A section per category: its headline, map and largest gaps.
fn category_section(analysis: &Analysis, c: usize, lang: Lang) -> Section {
    let cat = &analysis.categories[c];
    let s = &cat.summary;
    let mut blocks = vec![Block::Text(text::outside_reach(s, lang))];
    blocks.push(Block::Map {
        map: (c, None),
        caption: text::headline(s, lang),
    });
    blocks.push(Block::Heading(term(Term::LargestGaps, lang).into()));
    if cat.gaps.is_empty() {
        blocks.push(Block::Text(text::no_gaps(s, lang)));
    } else {
        let owner_head = if analysis.communities.is_empty() {
            Term::DemandFeature
        } else {
            Term::Community
        };
        let grouped = analysis.group_field.is_some();
        let mut heads = head(&[
            (term(Term::Rank, lang), Col::Number),
            (term(owner_head, lang), Col::Short),
        ]);
        if grouped {
            heads.push(Head {
                text: analysis.group_title().to_string(),
                col: Col::Short,
            });
        }
        heads.extend(head(&[
            (term(Term::Area, lang), Col::Number),
            (term(Term::Residents, lang), Col::Number),
        ]));
        let none = || term(Term::Blank, lang).to_string();
        let rows = cat
            .gaps
            .iter()
            .take(GAPS_LISTED)
            .enumerate()
            .map(|(i, g)| {
                let (who, group, key) = match g.owner {
                    Owner::Community(k) => {
                        let c = &analysis.communities[k];
                        (community_cell(c), c.group.clone(), c.id.clone())
                    }
                    Owner::Demand(d) => {
                        let d = &analysis.demand[d];
                        (Cell::new(d.id.clone()), d.group.clone(), d.id.clone())
                    }
                };
                let mut cells = vec![Cell::new((i + 1).to_string()), who];
                if grouped {
                    cells.push(Cell::new(group.unwrap_or_else(none)));
                }
                cells.push(Cell::new(
                    g.area_m2
                        .map(|a| text::area_m2(a, lang))
                        .unwrap_or_else(none),
                ));
                cells.push(Cell::new(
                    g.population.map(text::thousands).unwrap_or_else(none),
                ));
                Row {
                    key: format!("{}#{}", key, i + 1),
                    cells,
                }
            })
            .collect();
        blocks.push(Block::Table(Table {
            id: format!("gaps-{}", s.name),
            compact: true,
            head: heads,
            rows,
        }));
        blocks.push(Block::Note(text::gaps_note(
            cat.gaps.len().min(GAPS_LISTED),
            s,
            population_basis(analysis, s, lang).as_deref(),
            lang,
        )));
    }
    for (i, siting) in analysis
        .siting
        .iter()
        .enumerate()
        .filter(|(_, x)| x.category == s.name)
    {
        blocks.extend(siting_blocks(siting, i, lang));
    }
    Section {
        id: format!("category-{}", s.name),
        title: match &s.label {
            Some(label) => format!("{label} — {}", s.name),
            None => s.name.clone(),
        },
        blocks,
    }
}

/// A siting: what it found, and the sites in the order to build them.
fn siting_blocks(s: &crate::analysis::siting::SitingResult, i: usize, lang: Lang) -> Vec<Block> {
    let [rank, site, added, after] = text::siting_heads(lang);
    let mut rows = vec![Row {
        key: "existing".into(),
        cells: vec![
            Cell::new("–"),
            Cell::new(text::siting_existing(lang)),
            Cell::new("–"),
            Cell::new(text::pct(s.coverage_before)),
        ],
    }];
    rows.extend(s.added.iter().map(|a| Row {
        key: a.id.clone(),
        cells: vec![
            Cell::new(a.rank.to_string()),
            Cell::new(a.id.clone()),
            Cell::new(text::thousands(a.population_added)),
            Cell::new(text::pct(a.coverage)),
        ],
    }));
    vec![
        Block::Heading(text::siting_heading(s, lang)),
        Block::Text(text::siting_finding(s, lang)),
        Block::Table(Table {
            id: format!("siting-{i}"),
            compact: true,
            head: head(&[
                (rank, Col::Number),
                (site, Col::Short),
                (added, Col::Number),
                (after, Col::Number),
            ]),
            rows,
        }),
    ]
}

/// The last section: assumptions, warnings, repaired and left-out boundaries.
fn notes(analysis: &Analysis, lang: Lang) -> Section {
    let mut blocks = vec![
        Block::Heading(term(Term::Assumptions, lang).into()),
        Block::List(text::assumptions(analysis, lang)),
    ];
    if !analysis.warnings.is_empty() {
        blocks.push(Block::Heading(term(Term::Warnings, lang).into()));
        blocks.push(Block::List(
            analysis
                .warnings
                .iter()
                .map(|w| text::warning(w, lang))
                .collect(),
        ));
    }
    blocks.push(Block::Heading(term(Term::DataNotes, lang).into()));
    let i = &analysis.inputs;
    let mut notes = Vec::new();
    let layers = [
        i.communities
            .as_ref()
            .map(|c| (Term::Communities, &c.path, &c.repaired, &c.skipped)),
        i.demand
            .as_ref()
            .map(|d| (Term::Demand, &d.path, &d.repaired, &d.skipped)),
    ];
    let mut tables = Vec::new();
    for (layer, path, repaired, skipped) in layers.into_iter().flatten() {
        for (list, left_out) in [(repaired, false), (skipped, true)] {
            if list.is_empty() {
                continue;
            }
            notes.push(text::boundaries_note(list.len(), left_out, path, lang));
            let rows = list
                .iter()
                .map(|n| Row {
                    key: n.id.clone(),
                    cells: vec![
                        Cell::new(n.id.clone()).sub(format!("#{}", n.index)),
                        Cell::new(text::defects(&n.problems, lang)),
                        Cell::new(text::area_m2(n.area_m2_as_drawn, lang)),
                        Cell::new(
                            n.area_m2_used
                                .map(|a| text::area_m2(a, lang))
                                .unwrap_or_else(|| text::left_out(lang).into()),
                        ),
                    ],
                })
                .collect();
            tables.push(Table {
                compact: true,
                id: format!(
                    "{}-{}",
                    if layer == Term::Communities {
                        "communities"
                    } else {
                        "demand"
                    },
                    if left_out { "skipped" } else { "repaired" }
                ),
                head: head(&[
                    (
                        term(
                            if layer == Term::Communities {
                                Term::Community
                            } else {
                                Term::DemandFeature
                            },
                            lang,
                        ),
                        Col::Short,
                    ),
                    (term(Term::Problems, lang), Col::Text),
                    (term(Term::AreaAsDrawn, lang), Col::Number),
                    (term(Term::AreaUsed, lang), Col::Number),
                ]),
                rows,
            });
        }
    }
    if let Some(d) = &i.demand {
        if let (Some(n), Some(w)) = (d.outside_communities, d.outside_weight) {
            if n > 0 {
                notes.push(text::demand_outside(n, w, lang));
            }
        }
    }
    if i.facilities.without_category > 0 {
        notes.push(text::without_category(i.facilities.without_category, lang));
    }
    for cat in &analysis.categories {
        if cat.summary.slivers_dropped > 0 {
            notes.push(text::slivers(&cat.summary, lang));
        }
    }
    if notes.is_empty() {
        notes.push(text::no_data_notes(lang));
    }
    blocks.push(Block::List(notes));
    blocks.extend(tables.into_iter().map(Block::Table));
    Section {
        id: "notes".into(),
        title: term(Term::AssumptionsAndNotes, lang).into(),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::config::{Config, Job};
    use base64::Engine as _;
    use serde_json::{json, Value};
    use std::path::Path;

    const X0: f64 = 560_000.0;
    const Y0: f64 = 4_320_000.0;

    /// Three 1,000 m squares in a row (UTM 50N): A (100 residents), B (200) and C (300,
    /// named `<b>&`). A market at A's centre and a health station at C's centre, both
    /// reaching 800 m: A is wholly within the market's reach (its corners are 707 m away)
    /// and C within the health station's; B is partly within both; A has no health station
    /// and C no market in reach.
    fn district(categories: &str) -> (tempfile::TempDir, Analysis) {
        let dir = tempfile::tempdir().unwrap();
        let square = |id: &str, name: &str, x: f64, population: f64| {
            let ring: Vec<Value> = [(0.0, 0.0), (1000.0, 0.0), (1000.0, 1000.0), (0.0, 1000.0)]
                .iter()
                .chain(std::iter::once(&(0.0, 0.0)))
                .map(|&(dx, dy)| json!([X0 + x + dx, Y0 + dy]))
                .collect();
            json!({"type": "Feature",
                   "properties": {"id": id, "name": name, "population": population},
                   "geometry": {"type": "Polygon", "coordinates": [ring]}})
        };
        let point = |id: &str, category: &str, x: f64| {
            json!({"type": "Feature", "properties": {"id": id, "category": category},
                   "geometry": {"type": "Point", "coordinates": [X0 + x, Y0 + 500.0]}})
        };
        let communities = json!({"type": "FeatureCollection", "features": [
            square("A", "Alpha", 0.0, 100.0),
            square("B", "Beta", 1000.0, 200.0),
            square("C", "<b>&", 2000.0, 300.0),
        ]});
        let facilities = json!({"type": "FeatureCollection", "features": [
            point("m", "market", 500.0),
            point("h", "health", 2500.0),
        ]});
        let c = dir.path().join("c.geojson");
        let f = dir.path().join("f.geojson");
        std::fs::write(&c, communities.to_string()).unwrap();
        std::fs::write(&f, facilities.to_string()).unwrap();
        let toml = format!(
            "[communities]\npath = '{}'\ncrs = 'EPSG:32650'\n\
             [facilities]\npath = '{}'\ncrs = 'EPSG:32650'\n[curve]\nenabled = false\n\
             {categories}",
            c.display(),
            f.display()
        );
        let config = Config::from_toml(&toml, Path::new("t.toml")).unwrap();
        let job = Job::from_config(&config, dir.path()).unwrap();
        let analysis = crate::analyse(&job).unwrap();
        (dir, analysis)
    }

    const BOTH_TARGETS: &str = "[[category]]\nname = 'market'\nradius_m = 800\ntarget = 0.15\n\
         [[category]]\nname = 'health'\nradius_m = 800\ntarget = 0.9\n";

    #[test]
    fn least_served_ranks_by_the_lowest_share_then_by_residents() {
        let (_dir, a) = district(BOTH_TARGETS);
        let ranked = least_served(&a);
        // A lacks health and C lacks a market (both 0%): C first, having more residents;
        // B is partly reached by both.
        let order: Vec<usize> = ranked.iter().map(|r| r.community).collect();
        assert_eq!(order, vec![2, 0, 1]);
        assert_eq!(ranked[0].lowest, 0.0);
        assert_eq!(ranked[1].lowest, 0.0);
        let b = &ranked[2];
        assert!(b.lowest > 0.0 && b.lowest < 1.0, "{b:?}");
        // The market's share of B's residents is the covered share of its area (people
        // spread evenly), and the same as the health station's by symmetry.
        let market_b = a.categories[0].communities[1].share;
        assert!((b.shares[0].unwrap() - market_b).abs() < 1e-9);
        assert!((b.shares[0].unwrap() - b.shares[1].unwrap()).abs() < 1e-6);
        assert!(
            (ranked[1].shares[0].unwrap() - 1.0).abs() < 1e-6,
            "A has the market"
        );
    }

    #[test]
    fn only_categories_with_a_target_are_ranked_on() {
        let (_dir, a) = district(
            "[[category]]\nname = 'market'\nradius_m = 800\ntarget = 0.5\n\
             [[category]]\nname = 'health'\nradius_m = 800\n",
        );
        let order: Vec<usize> = least_served(&a).iter().map(|r| r.community).collect();
        // On the market alone: C (none), B (part); A has it all and is not listed.
        assert_eq!(order, vec![2, 1]);
        let html = report_html(&a, &Products::default(), &[]);
        assert!(html.contains("the categories that have a target (market)"));
    }

    #[test]
    fn user_strings_are_escaped_in_both_files() {
        let (_dir, a) = district(BOTH_TARGETS);
        let products = Products {
            title: "Plan <i>\"A\"</i> & more".into(),
            attribution: Some("© <OSM> | ODbL".into()),
            ..Products::default()
        };
        let html = report_html(&a, &products, &[]);
        assert!(!html.contains("<b>&"), "raw community name in the HTML");
        assert!(html.contains("&lt;b&gt;&amp;"));
        assert!(html.contains("<title>Plan &lt;i&gt;&quot;A&quot;&lt;/i&gt; &amp; more</title>"));
        assert!(html.contains("© &lt;OSM&gt; | ODbL"));
        let md = report_md(&a, &products, &[]);
        assert!(md.contains("\\<b>&"), "{md}");
        assert!(
            !md.replace("\\<", "").contains('<'),
            "an unescaped < in the Markdown"
        );
        assert!(md.contains("© \\<OSM> \\| ODbL"));
    }

    #[test]
    fn maps_are_inlined_or_their_absence_is_said() {
        let (_dir, a) = district(BOTH_TARGETS);
        let products = Products::default();
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">\
                   <rect width=\"10\" height=\"10\" fill=\"#c00\"/></svg>";
        let html = report_html(
            &a,
            &products,
            &[((0, None), svg.to_string()), ((1, None), String::new())],
        );
        let start = html.find("src=\"data:image/svg+xml;base64,").unwrap() + 31;
        let end = start + html[start..].find('"').unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&html[start..end])
            .unwrap();
        assert_eq!(decoded, svg.as_bytes());
        assert_eq!(html.matches("<img ").count(), 1);
        assert!(html.contains(text::map_missing(Lang::En)));
        assert!(!html.contains(text::map_off(Lang::En)));
        let html = report_html(&a, &products, &[]);
        assert_eq!(html.matches(text::map_off(Lang::En)).count(), 2);

        let md = report_md(&a, &products, &[((0, None), "maps/market.png".into())]);
        let caption = text::headline(&a.categories[0].summary, Lang::En);
        assert!(
            md.contains(&format!("![{caption}](maps/market.png)")),
            "{md}"
        );
        assert!(md.contains(text::map_off(Lang::En)), "health has no map");
    }

    #[test]
    fn verdicts_are_words_as_well_as_colours() {
        let (_dir, a) = district(BOTH_TARGETS);
        // B's share in reach of either: the part of an 800 m circle beyond a line 500 m from
        // its centre, for |y| <= 500: 500 √390,000 + 800² asin(5/8) - 500,000 = 244,334 m².
        // Market: (100 + 200 x 0.244334) / 600 = 24.81%, over its 15%; health: (300 + 200
        // x 0.244334) / 600 = 58.14%, under its 90%.
        let (market, health) = (&a.categories[0].summary, &a.categories[1].summary);
        assert!(
            (market.coverage - 0.248111).abs() < 1e-4,
            "{}",
            market.coverage
        );
        assert!(
            (health.coverage - 0.581445).abs() < 1e-4,
            "{}",
            health.coverage
        );
        assert_eq!(market.meets_target, Some(true));
        assert_eq!(health.meets_target, Some(false));
        let html = report_html(&a, &Products::default(), &[]);
        let row = |key: &str| {
            let start = html.find(&format!("<tr data-key=\"{key}\">")).unwrap();
            html[start..start + html[start..].find("</tr>").unwrap()].to_string()
        };
        assert!(row("market").contains("<td class=\"verdict met\">✓ Met</td>"));
        assert!(row("health").contains("<td class=\"verdict not-met\">✗ Not met</td>"));
        let md = report_md(&a, &Products::default(), &[]);
        assert!(md.contains("| **✓ Met** |") && md.contains("| **✗ Not met** |"));
    }

    #[test]
    fn markdown_escapes_what_would_break_a_table() {
        use markdown::esc;
        assert_eq!(esc("a|b"), "a\\|b");
        assert_eq!(esc("elderly_care"), "elderly_care");
        assert_eq!(esc("_x_"), "\\_x\\_");
        assert_eq!(esc("line\nbreak"), "line break");
        assert_eq!(esc("&lt; & co"), "\\&lt; & co");
        assert_eq!(
            esc("[link](x) *b* `c` <i>"),
            "\\[link\\](x) \\*b\\* \\`c\\` \\<i>"
        );
        assert_eq!(esc("> quote, a >= b"), "\\> quote, a >= b");
        assert_eq!(
            html::esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
