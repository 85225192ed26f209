//! What a siting asks for, as the configuration and the flags give it: the category, the
//! candidate sites, the problem (the best K, or the fewest reaching a target), the group.

/// Where candidate sites come from.
#[derive(Debug, Clone, PartialEq)]
pub enum CandidateSource {
    /// The category's uncovered demand points, each a candidate at its own position.
    Gaps,
    /// Centres of a square grid of this spacing (metres) that lie in the gaps: inside the
    /// study area and out of the existing facilities' reach.
    Grid(f64),
    /// A point layer of candidate sites (parcels, vacant lots, shop fronts) with ids.
    File(std::path::PathBuf),
}

impl CandidateSource {
    /// Reads `gaps`, `grid:SPACING` or a file path.
    pub fn parse(text: &str) -> std::result::Result<CandidateSource, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("gaps") {
            return Ok(CandidateSource::Gaps);
        }
        if let Some(spacing) = t.strip_prefix("grid:") {
            let s: f64 = spacing
                .trim()
                .trim_end_matches('m')
                .parse()
                .map_err(|_| format!("\"{t}\": the grid spacing is not a number of metres"))?;
            if !(s.is_finite() && s >= 5.0) {
                return Err(format!(
                    "\"{t}\": the grid spacing must be at least 5 metres"
                ));
            }
            return Ok(CandidateSource::Grid(s));
        }
        if t.is_empty() {
            return Err("no candidates given: a file, \"gaps\" or \"grid:SPACING\"".into());
        }
        Ok(CandidateSource::File(t.into()))
    }

    /// How the summary names it.
    pub fn describe(&self) -> String {
        match self {
            CandidateSource::Gaps => "gaps: the uncovered demand points".into(),
            CandidateSource::Grid(s) => format!("grid: cell centres {s} m apart in the gaps"),
            CandidateSource::File(p) => p.display().to_string(),
        }
    }
}

/// What a siting asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct SitingSpec {
    /// The category to add facilities to.
    pub category: String,
    /// The candidate sites.
    pub candidates: CandidateSource,
    /// CRS of a candidate file, overriding the file's.
    pub candidates_crs: Option<crate::input::crs::Crs>,
    /// Id field of a candidate file (default `id`).
    pub candidates_id: String,
    /// The best K new sites, or the fewest reaching a target share.
    pub problem: Problem,
    /// Only this group's demand counts (a district, a street); `None`: the whole study.
    pub group: Option<String>,
}

/// The problem to solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Problem {
    /// The K new sites that reach the most people.
    Add(usize),
    /// The fewest new sites that bring coverage to this share (0..1).
    Target(f64),
}
