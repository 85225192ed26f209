//! What a run tells the user that did not stop it, as plain data.
//!
//! Warnings are written for readers in the run's language by [`crate::output::text::warning`]
//! (the same table of phrases as the rest of the report); their `Display` is the English
//! text, as the terminal and `summary.json` show it.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::input::config::Lang;

/// Something the user should know about a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// What reading a layer found worth saying (its text encoding, skipped records).
    Layer {
        /// The file.
        path: String,
        /// What was found.
        note: LayerNote,
    },
    /// A boundary was repaired, or left out by `--on-invalid skip`.
    Boundary {
        /// The file.
        path: String,
        /// Position of the feature in the file.
        index: usize,
        /// Its id.
        id: String,
        /// What was wrong.
        problems: Vec<Defect>,
        /// Area measured after repair, m2; `None` if left out.
        used_m2: Option<f64>,
        /// Area of the rings as drawn, m2.
        drawn_m2: f64,
    },
    /// Demand lying wholly outside every community, left out of the figures.
    DemandOutside {
        /// The demand file.
        path: String,
        /// Features outside.
        outside: usize,
        /// Features in all.
        features: usize,
        /// Weight outside.
        outside_weight: f64,
        /// Weight in all.
        weight: f64,
    },
    /// Facilities naming a community that is not in the community layer.
    UnknownCommunity {
        /// The facility file.
        path: String,
        /// How many.
        count: usize,
    },
    /// A category that some figure asks for has no facility.
    NoFacility {
        /// The category.
        category: String,
        /// The facility file.
        path: String,
        /// The category is named by a rule, but no feature matched it.
        no_rule_matched: bool,
        /// What it means for the figures.
        consequence: Consequence,
        /// The categories the file does hold.
        found: Vec<String>,
    },
    /// Facilities too far from every street to be reached along the network.
    FacilitiesOffStreets {
        /// The category.
        category: String,
        /// How many are too far.
        far: usize,
        /// The category's facilities.
        total: usize,
        /// How far a site may be from a street, m.
        snap_m: f64,
    },
    /// Demand points (or community centres) too far from every street.
    PeopleOffStreets {
        /// How many are too far.
        far: usize,
        /// How many in all.
        total: usize,
        /// Demand points (`true`) or community centres.
        demand_points: bool,
        /// How far a point may be from a street, m.
        snap_m: f64,
    },
    /// Candidate sites outside the study area.
    CandidatesOutside {
        /// The category sited.
        category: String,
        /// How many.
        count: usize,
    },
    /// A siting target out of reach of every candidate together.
    TargetOutOfReach {
        /// The category sited.
        category: String,
        /// The target share.
        target: f64,
        /// The coverage every useful candidate together brings.
        best: f64,
    },
    /// Texts for readers given only in the other language.
    NotInLang {
        /// The run's language.
        lang: Lang,
        /// The texts, as the configuration names them.
        texts: Vec<String>,
    },
    /// Maps per group were asked for, but the run has no groups.
    NoGroupsToMap,
}

/// What a missing category means for the figures.
#[derive(Debug, Clone, PartialEq)]
pub enum Consequence {
    /// Its coverage is 0.
    CoverageZero,
    /// No place has a complete circle of this level.
    NoCompleteCircle(String),
    /// This indicator counts none.
    IndicatorCountsNone(String),
}

/// A defect found in a boundary.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "String")]
pub enum Defect {
    /// Repeated vertices, removed.
    DuplicateVertices,
    /// Rings with fewer than 3 distinct points, dropped.
    ShortRings(usize),
    /// No ring encloses any area.
    NoArea,
    /// Zero area after repair.
    ZeroArea,
    /// Coordinates with a third value, dropped.
    ThreeD,
    /// A ring whose last point is not its first, closed.
    Unclosed,
    /// The geometry is invalid, as geo's validation says (in English).
    Invalid(String),
    /// Repair failed, as the overlay says (in English).
    RepairFailed(String),
}

impl From<Defect> for String {
    fn from(d: Defect) -> String {
        d.to_string()
    }
}

/// What reading a layer found worth saying.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerNote {
    /// How its text was decoded, and why.
    Encoding {
        /// The encoding's name (`GBK`, `UTF-8`, `GB18030`).
        encoding: String,
        /// Why that one.
        why: EncodingReason,
    },
    /// Records marked deleted in a .dbf, skipped.
    DeletedRecords(usize),
    /// What an OpenStreetMap extract gave.
    Osm(OsmTally),
    /// Several notes on one layer.
    Several(Vec<LayerNote>),
}

/// Why a text encoding was chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum EncodingReason {
    /// The configuration declared it.
    Declared,
    /// The shapefile's .cpg names it.
    Cpg(String),
    /// The .dbf's language byte names it.
    LanguageByte(u8),
    /// Nothing declared it and all text is valid UTF-8.
    ValidUtf8,
    /// Nothing declared it and the text is not UTF-8: taken as the GBK family.
    NotUtf8,
}

/// What an OpenStreetMap extract gave as facilities.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OsmTally {
    /// Nodes matching the rules.
    pub nodes: usize,
    /// Ways matching the rules.
    pub ways: usize,
    /// Multipolygon relations matching the rules.
    pub relations: usize,
    /// Open ways, placed at a point on their line.
    pub open_ways: usize,
    /// Features cut at the extract's edge, placed from the nodes inside it.
    pub partial: Vec<String>,
    /// Features left out: none of their nodes (or no closed ring) is in the extract.
    pub unplaced: Vec<String>,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::output::text::warning(self, Lang::En))
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::output::text::defect(self, Lang::En))
    }
}

impl fmt::Display for LayerNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::output::text::layer_note(self, Lang::En))
    }
}

impl Serialize for Warning {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}
