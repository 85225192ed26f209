//! Ratio indicators per community: "30 m2 of community service space per 100 households",
//! "18 community workers per 10,000 residents", "12 social organisations in communities
//! over 500 households".
//!
//! value = numerator / denominator x scale, where the numerator is a community field, a
//! count of the community's facilities of a category, or a facility field summed over
//! them; a facility belongs to the community it lies in, or to the one its `community`
//! field names. A community is judged when its condition holds and the value is defined.

use serde::{Deserialize, Serialize};

use crate::analysis::summary::round6;
use crate::error::{Error, FeatureProblem, Result};
use crate::input::config::{fmt_num, IndicatorSpec, Lang, Numerator};
use crate::input::load::{Community, Facility};

/// An indicator at one community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorAt {
    /// The ratio; `None` when the denominator is 0.
    pub value: Option<f64>,
    /// Whether the community is judged (condition holds, value defined).
    pub judged: bool,
    /// Whether it meets the bound; `None` when not judged.
    pub meets: Option<bool>,
}

/// Where the community layer and facility layer are, for messages.
pub struct Sources<'a> {
    /// The community layer's file.
    pub communities: &'a std::path::Path,
    /// The facility layer's file.
    pub facilities: &'a std::path::Path,
    /// The facility fields kept, in the order of `Facility::values`.
    pub value_fields: &'a [String],
}

/// Works out an indicator at every community; `members[k]` are the positions (in
/// `facilities`) of the facilities belonging to community `k`.
pub fn indicator_values(
    spec: &IndicatorSpec,
    communities: &[Community],
    facilities: &[Facility],
    members: &[Vec<usize>],
    sources: &Sources<'_>,
) -> Result<Vec<IndicatorAt>> {
    let field_of = |c: &Community, field: &str, why: &'static str| -> Result<f64> {
        let fail = |problem| Error::Feature {
            path: sources.communities.to_path_buf(),
            index: c.index,
            id: Some(c.id.clone()),
            problem,
        };
        match c.properties.get(field) {
            None | Some(serde_json::Value::Null) => Err(fail(FeatureProblem::MissingField {
                field: field.to_string(),
                why,
            })),
            Some(serde_json::Value::Number(n)) => {
                n.as_f64().filter(|v| v.is_finite()).ok_or_else(|| {
                    fail(FeatureProblem::NotANumber {
                        field: field.to_string(),
                        found: n.to_string(),
                    })
                })
            }
            Some(other) => Err(fail(FeatureProblem::NotANumber {
                field: field.to_string(),
                found: other.to_string(),
            })),
        }
    };
    const WHY: &str = "an indicator in the configuration uses it";
    let mut out = Vec::with_capacity(communities.len());
    for (k, c) in communities.iter().enumerate() {
        let numerator = match &spec.numerator {
            Numerator::Field(field) => field_of(c, field, WHY)?,
            Numerator::Count(category) => members[k]
                .iter()
                .filter(|&&i| facilities[i].category.as_deref() == Some(category.as_str()))
                .count() as f64,
            Numerator::Sum { field, category } => {
                let slot = sources
                    .value_fields
                    .iter()
                    .position(|f| f == field)
                    .unwrap_or(usize::MAX);
                let mut sum = 0.0;
                for &i in &members[k] {
                    let f = &facilities[i];
                    if f.category.as_deref() != Some(category.as_str()) {
                        continue;
                    }
                    match f.values.get(slot).copied().flatten() {
                        Some(v) => sum += v,
                        None => {
                            return Err(Error::Feature {
                                path: sources.facilities.to_path_buf(),
                                index: f.index,
                                id: Some(f.id.clone()),
                                problem: FeatureProblem::MissingField {
                                    field: field.clone(),
                                    why: "an indicator sums it over this facility's category; \
                                          give 0 if it has none",
                                },
                            })
                        }
                    }
                }
                sum
            }
        };
        let denominator = match &spec.denominator {
            Some(field) => field_of(c, field, WHY)?,
            None => 1.0,
        };
        let mut applies = true;
        for cond in &spec.when {
            applies &= cond.compare.holds(field_of(c, &cond.field, WHY)?);
        }
        let value = (denominator != 0.0).then(|| numerator / denominator * spec.scale);
        let judged = applies && value.is_some();
        out.push(IndicatorAt {
            value,
            judged,
            meets: value.filter(|_| judged).map(|v| spec.compare.holds(v)),
        });
    }
    Ok(out)
}

/// An indicator's result (`summary.json` `indicators`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IndicatorSummary {
    /// Indicator name.
    pub name: String,
    /// Readable title.
    pub label: Option<String>,
    /// How the value is worked out, in words.
    pub formula: String,
    /// What a community must reach, e.g. ">= 30".
    pub bound: String,
    /// Which communities are judged, in words.
    pub condition: Option<String>,
    /// Communities in all.
    pub communities: usize,
    /// Communities judged.
    pub judged: usize,
    /// Communities not judged because their condition does not hold.
    pub not_applicable: usize,
    /// Communities not judged because the denominator is 0.
    pub undefined: usize,
    /// Judged communities meeting the bound.
    pub meeting: usize,
    /// `meeting / judged`; `None` when none is judged.
    pub share_meeting: Option<f64>,
    /// Share of judged communities that must meet it.
    pub target_share: f64,
    /// Whether `share_meeting` reaches `target_share`; `None` when none is judged.
    pub meets_target: Option<bool>,
    /// Lowest and highest value among judged communities.
    pub value_range: Option<[f64; 2]>,
    /// Where it comes from.
    pub source: Option<String>,
    /// The indicator as configured, for the formula and condition in other languages.
    #[serde(skip)]
    pub spec: IndicatorSpec,
}

/// Sums up an indicator over communities.
pub fn summarise_indicator<'a>(
    spec: &IndicatorSpec,
    values: impl IntoIterator<Item = &'a IndicatorAt>,
) -> IndicatorSummary {
    let (mut communities, mut judged, mut undefined, mut meeting) = (0, 0, 0, 0);
    let mut range: Option<[f64; 2]> = None;
    let mut not_applicable = 0;
    for v in values {
        communities += 1;
        match (v.value, v.judged) {
            (None, _) => undefined += 1,
            (Some(_), false) => not_applicable += 1,
            (Some(x), true) => {
                judged += 1;
                meeting += usize::from(v.meets == Some(true));
                range = Some(match range {
                    None => [x, x],
                    Some([lo, hi]) => [lo.min(x), hi.max(x)],
                });
            }
        }
    }
    let share_meeting = (judged > 0).then(|| meeting as f64 / judged as f64);
    IndicatorSummary {
        name: spec.name.clone(),
        label: spec.label.clone(),
        formula: formula(spec, Lang::En),
        bound: spec.compare.to_string(),
        condition: condition(spec, Lang::En),
        spec: spec.clone(),
        communities,
        judged,
        not_applicable,
        undefined,
        meeting,
        share_meeting,
        target_share: spec.target_share,
        meets_target: share_meeting.map(|s| round6(s) >= round6(spec.target_share)),
        value_range: range,
        source: spec.source.clone(),
    }
}

/// The formula in words: "sum of floor_area_m2 of service_centre facilities / households
/// x 100" (in Chinese "service_centre 类设施的 floor_area_m2 之和 / households × 100").
pub fn formula(spec: &IndicatorSpec, lang: Lang) -> String {
    let numerator = match (&spec.numerator, lang) {
        (Numerator::Field(f), _) => f.clone(),
        (Numerator::Count(c), Lang::En) => format!("number of {c} facilities"),
        (Numerator::Count(c), Lang::Zh) => format!("{c} 类设施的数量"),
        (Numerator::Sum { field, category }, Lang::En) => {
            format!("sum of {field} of {category} facilities")
        }
        (Numerator::Sum { field, category }, Lang::Zh) => {
            format!("{category} 类设施的 {field} 之和")
        }
    };
    let mut text = numerator;
    if let Some(d) = &spec.denominator {
        text.push_str(&format!(" / {d}"));
    }
    if spec.scale != 1.0 {
        let times = if lang == Lang::Zh { "×" } else { "x" };
        text.push_str(&format!(" {times} {}", fmt_num(spec.scale)));
    }
    text
}

/// Which communities are judged, in words ("urban >= 1 and households >= 500"); `None`
/// when every community is.
pub fn condition(spec: &IndicatorSpec, lang: Lang) -> Option<String> {
    let and = if lang == Lang::Zh { " 且 " } else { " and " };
    (!spec.when.is_empty()).then(|| {
        spec.when
            .iter()
            .map(|c| format!("{} {}", c.field, c.compare))
            .collect::<Vec<_>>()
            .join(and)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::config::{Compare, Condition};
    use serde_json::json;

    fn community(id: &str, props: serde_json::Value) -> Community {
        Community {
            index: 0,
            id: id.into(),
            name: None,
            population: None,
            households: None,
            boundary: geo::MultiPolygon(vec![]),
            properties: props.as_object().cloned().unwrap_or_default(),
            defects: vec![],
            group: None,
        }
    }

    fn facility(category: &str, area: Option<f64>) -> Facility {
        Facility {
            index: 0,
            id: "f".into(),
            category: Some(category.into()),
            sites: vec![],
            community: None,
            values: vec![area],
        }
    }

    fn sources() -> Sources<'static> {
        static FIELDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        Sources {
            communities: std::path::Path::new("c.geojson"),
            facilities: std::path::Path::new("f.geojson"),
            value_fields: FIELDS.get_or_init(|| vec!["floor_area_m2".to_string()]),
        }
    }

    /// 30 m2 per 100 households: 600 m2 over 1,800 households is 33.3 (meets); 400 m2 over
    /// 1,600 is 25 (misses); a community of 0 households has no value.
    #[test]
    fn space_per_100_households() {
        let spec = IndicatorSpec {
            name: "space".into(),
            label: None,
            numerator: Numerator::Sum {
                field: "floor_area_m2".into(),
                category: "service_centre".into(),
            },
            denominator: Some("households".into()),
            scale: 100.0,
            compare: Compare::AtLeast(30.0),
            when: vec![],
            target_share: 1.0,
            source: None,
        };
        let communities = [
            community("a", json!({"households": 1800})),
            community("b", json!({"households": 1600})),
            community("c", json!({"households": 0})),
        ];
        let facilities = [
            facility("service_centre", Some(400.0)),
            facility("service_centre", Some(200.0)),
            facility("market", Some(9999.0)),
            facility("service_centre", Some(400.0)),
        ];
        let members = vec![vec![0, 1, 2], vec![3], vec![]];
        let at = indicator_values(&spec, &communities, &facilities, &members, &sources()).unwrap();
        assert!((at[0].value.unwrap() - 600.0 / 18.0).abs() < 1e-12);
        assert_eq!(at[0].meets, Some(true));
        assert_eq!(at[1].value, Some(25.0));
        assert_eq!(at[1].meets, Some(false));
        assert_eq!(at[2].value, None);
        let s = summarise_indicator(&spec, &at);
        assert_eq!((s.judged, s.meeting, s.undefined), (2, 1, 1));
        assert_eq!(s.share_meeting, Some(0.5));
        assert_eq!(s.meets_target, Some(false));
        assert_eq!(
            s.formula,
            "sum of floor_area_m2 of service_centre facilities / households x 100"
        );
    }

    /// 12 social organisations, judged only in communities of 500 households or more.
    #[test]
    fn condition_limits_the_communities_judged() {
        let spec = IndicatorSpec {
            name: "orgs".into(),
            label: None,
            numerator: Numerator::Field("social_orgs".into()),
            denominator: None,
            scale: 1.0,
            compare: Compare::AtLeast(12.0),
            when: vec![Condition {
                field: "households".into(),
                compare: Compare::AtLeast(500.0),
            }],
            target_share: 1.0,
            source: None,
        };
        let communities = [
            community("big", json!({"households": 500, "social_orgs": 12})),
            community("small", json!({"households": 499, "social_orgs": 3})),
        ];
        let at = indicator_values(&spec, &communities, &[], &[vec![], vec![]], &sources()).unwrap();
        assert_eq!(at[0].meets, Some(true));
        assert!(!at[1].judged);
        assert_eq!(at[1].meets, None);
        let s = summarise_indicator(&spec, &at);
        assert_eq!((s.judged, s.not_applicable, s.meeting), (1, 1, 1));
        assert_eq!(s.meets_target, Some(true));

        let missing = [community("x", json!({"households": 900}))];
        let err = indicator_values(&spec, &missing, &[], &[vec![]], &sources())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("c.geojson: feature 0 (id \"x\")") && err.contains("\"social_orgs\""),
            "{err}"
        );
    }
}
