//! Errors a person can act on: each names the file, the feature and what is wrong.

use std::fmt;
use std::path::PathBuf;

/// The result type of every fallible lifecircle function.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can stop a lifecircle run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// A file is not well-formed JSON.
    #[error("{}: not valid JSON at line {line}, column {column}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
        /// What the parser found.
        message: String,
    },

    /// A file is JSON, but not the GeoJSON a layer needs.
    #[error("{}: {message}", path.display())]
    NotGeoJson {
        /// The file.
        path: PathBuf,
        /// What was expected and found.
        message: String,
    },

    /// One feature of a layer is unusable.
    #[error("{}: feature {index}{}: {problem}", path.display(), FeatureId(id))]
    Feature {
        /// The file.
        path: PathBuf,
        /// 0-based position of the feature in the file's `features` array.
        index: usize,
        /// The feature's id, when it has one.
        id: Option<String>,
        /// What is wrong with it.
        problem: FeatureProblem,
    },

    /// The configuration file is not valid TOML or names unknown keys.
    #[error("{}: {message}", path.display())]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong, with its line and column when known.
        message: String,
    },

    /// A setting has a value that cannot be used.
    #[error("{setting}: {message}")]
    Setting {
        /// The setting, as the user wrote it (`--radius`, `category "market" radius_m`).
        setting: String,
        /// What is wrong and what is expected.
        message: String,
    },

    /// A category asked for that no facility carries and no rule assigns.
    #[error(
        "category \"{name}\" is not in {}: no facility has it and no rule assigns it{}; categories found: {}",
        path.display(),
        suggestion.as_ref().map(|s| format!(" (did you mean \"{s}\"?)")).unwrap_or_default(),
        if known.is_empty() { "none".to_string() } else { known.join(", ") }
    )]
    UnknownCategory {
        /// The facilities file.
        path: PathBuf,
        /// The category asked for.
        name: String,
        /// The categories the facilities do have.
        known: Vec<String>,
        /// The nearest known name, when one is close.
        suggestion: Option<String>,
    },

    /// A coordinate reference system is unknown to PROJ or cannot be used.
    #[error("CRS \"{crs}\": {message}")]
    Crs {
        /// The CRS as written.
        crs: String,
        /// What PROJ or lifecircle said.
        message: String,
    },

    /// A geometry operation failed on one community.
    #[error("{}: feature {index} (id \"{id}\"): {message}", path.display())]
    Geometry {
        /// The communities file.
        path: PathBuf,
        /// 0-based position of the community in its file.
        index: usize,
        /// The community's id.
        id: String,
        /// What failed.
        message: String,
    },

    /// The street network cannot be read or used.
    #[error("{}: {message}", path.display())]
    Network {
        /// The network file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// The two layers lie far apart: almost surely a CRS mistake.
    #[error(
        "{} (longitude {}, latitude {}) and {} (longitude {}, latitude {}) are {km:.0} km apart: \
         the layers do not overlap. Is a CRS declared wrongly (GCJ-02 or BD-09 data read as \
         WGS 84, metres as degrees, longitude and latitude swapped)?",
        communities.display(), extent_text(communities_extent, 0), extent_text(communities_extent, 1),
        facilities.display(), extent_text(facilities_extent, 0), extent_text(facilities_extent, 1)
    )]
    LayersApart {
        /// The community file.
        communities: PathBuf,
        /// Its extent: west, south, east, north (degrees).
        communities_extent: [f64; 4],
        /// The facility file.
        facilities: PathBuf,
        /// Its extent.
        facilities_extent: [f64; 4],
        /// The gap between the extents, km.
        km: f64,
    },

    /// An output file could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// A tile's partial result cannot be read or merged.
    #[error("{}: {message}", path.display())]
    Part {
        /// The part file (or folder).
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// A finished product (the GeoPackage, a map, the report) could not be made.
    #[error("{}: {message}", path.display())]
    Product {
        /// The file being made.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// The maps need a font this machine does not have.
    #[error(
        "cannot draw the maps: {missing}; install a font with Chinese characters, such as \
         fonts-noto-cjk (`make deps` installs it; or `apt-get install fonts-noto-cjk`), or \
         leave the maps out with --no-maps"
    )]
    MissingFont {
        /// What no installed font has.
        missing: String,
    },

    /// The output folder would overwrite an input.
    #[error("output folder {} holds the input file {}: choose another --out", dir.display(), input.display())]
    OutputHoldsInput {
        /// The output folder.
        dir: PathBuf,
        /// The input file inside it.
        input: PathBuf,
    },
}

/// A coordinate that lands outside its CRS's area of use.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaOfUseMiss {
    /// The x given.
    pub x: f64,
    /// The y given.
    pub y: f64,
    /// Where it lands, longitude.
    pub lon: f64,
    /// Where it lands, latitude.
    pub lat: f64,
    /// The CRS's area of use: west, south, east, north.
    pub area: [f64; 4],
}

/// What is wrong with one feature.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FeatureProblem {
    /// The feature has no geometry (`null` or missing).
    NoGeometry,
    /// The geometry is of a type the layer cannot use.
    WrongGeometry {
        /// The GeoJSON type found.
        found: String,
        /// The types accepted.
        expected: &'static str,
    },
    /// The geometry is not valid GeoJSON.
    BadGeometry(String),
    /// A polygon with no area.
    ZeroArea,
    /// A coordinate is NaN or infinite.
    NonFinite,
    /// Coordinates that cannot be in the declared CRS.
    OutOfRange {
        /// The CRS declared for the layer.
        crs: String,
        /// The offending x (longitude).
        x: f64,
        /// The offending y (latitude).
        y: f64,
    },
    /// Coordinates in a projected CRS that all look like degrees.
    DegreesInProjected {
        /// The CRS declared.
        crs: String,
        /// A sample x.
        x: f64,
        /// A sample y.
        y: f64,
    },
    /// Coordinates that land outside the area where the declared CRS is used.
    OutsideAreaOfUse {
        /// The CRS declared.
        crs: String,
        /// The coordinate and where it lands.
        miss: Box<AreaOfUseMiss>,
    },
    /// PROJ could not transform a coordinate.
    Transform(String),
    /// Eastings that do not belong to the declared Gauss-Krüger zone (what they look like).
    WrongZone(String),
    /// A geometry with no coordinates.
    EmptyGeometry(&'static str),
    /// An invalid boundary the policy does not let through.
    Invalid {
        /// What is wrong.
        problems: String,
        /// What the user can do.
        hint: &'static str,
    },
    /// `properties` is neither an object nor null.
    BadProperties(String),
    /// Neither the id field nor a feature id is present.
    MissingId {
        /// The configured id field.
        field: String,
    },
    /// Two features share an id.
    DuplicateId {
        /// The id.
        id: String,
        /// The index of the first feature with it.
        first_index: usize,
    },
    /// A required field is missing or null.
    MissingField {
        /// The field name.
        field: String,
        /// Why it is required.
        why: &'static str,
    },
    /// A facility names a community that is not in the community layer.
    UnknownCommunity {
        /// The id named.
        id: String,
    },
    /// A field that must be a number holds something else.
    NotANumber {
        /// The field name.
        field: String,
        /// The value found, as JSON.
        found: String,
    },
    /// A count or population below zero.
    Negative {
        /// The field name.
        field: String,
        /// The value found.
        value: f64,
    },
}

impl fmt::Display for FeatureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeatureProblem::NoGeometry => write!(f, "has no geometry"),
            FeatureProblem::WrongGeometry { found, expected } => {
                write!(f, "geometry is {found}, expected {expected}")
            }
            FeatureProblem::BadGeometry(msg) => write!(f, "geometry is not valid GeoJSON: {msg}"),
            FeatureProblem::ZeroArea => write!(f, "polygon has zero area"),
            FeatureProblem::NonFinite => write!(f, "a coordinate is NaN or infinite"),
            FeatureProblem::OutOfRange { crs, x, y } => write!(
                f,
                "coordinate ({x}, {y}) is out of range for longitude/latitude in {crs} \
                 (longitude must be within -180..180 and latitude within -90..90); \
                 if these are metres in a projected CRS, declare it (`crs = \"EPSG:4547\"` in the \
                 configuration, or --communities-crs / --facilities-crs)"
            ),
            FeatureProblem::DegreesInProjected { crs, x, y } => write!(
                f,
                "coordinates such as ({x}, {y}) look like longitude/latitude degrees, but the \
                 declared CRS {crs} is projected; declare the right CRS (or none, for WGS 84)"
            ),
            FeatureProblem::OutsideAreaOfUse { crs, miss } => write!(
                f,
                "coordinate ({}, {}) in {crs} lands at longitude {:.4}, latitude {:.4}, \
                 outside where {crs} is used (longitude {} to {}, latitude {} to {}); is the \
                 declared CRS right?",
                miss.x, miss.y, miss.lon, miss.lat, miss.area[0], miss.area[2], miss.area[1],
                miss.area[3]
            ),
            FeatureProblem::Transform(msg) => write!(f, "cannot transform coordinates: {msg}"),
            FeatureProblem::WrongZone(msg) => f.write_str(msg),
            FeatureProblem::EmptyGeometry(kind) => write!(f, "geometry is an empty {kind}"),
            FeatureProblem::Invalid { problems, hint } => {
                write!(f, "the polygon is invalid: {problems} ({hint})")
            }
            FeatureProblem::BadProperties(found) => {
                write!(f, "properties must be an object or null, found {found}")
            }
            FeatureProblem::MissingId { field } => write!(
                f,
                "has no id: no \"{field}\" property and no feature id (set the id field with --id-field or `id = ...`)"
            ),
            FeatureProblem::DuplicateId { id, first_index } => write!(
                f,
                "id \"{id}\" is already used by feature {first_index}; ids must be unique"
            ),
            FeatureProblem::MissingField { field, why } => {
                write!(f, "field \"{field}\" is missing or null ({why})")
            }
            FeatureProblem::UnknownCommunity { id } => write!(
                f,
                "is assigned to community \"{id}\", which is not in the community layer"
            ),
            FeatureProblem::NotANumber { field, found } => {
                write!(f, "{field} is {found}, expected a number")
            }
            FeatureProblem::Negative { field, value } => {
                write!(f, "{field} is {value}, expected zero or more")
            }
        }
    }
}

fn extent_text(e: &[f64; 4], axis: usize) -> String {
    format!("{:.4} to {:.4}", e[axis], e[axis + 2])
}

struct FeatureId<'a>(&'a Option<String>);

impl fmt::Display for FeatureId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (id \"{id}\")"),
            None => Ok(()),
        }
    }
}

pub(crate) fn feature_error(
    path: &std::path::Path,
    index: usize,
    id: &str,
    problem: FeatureProblem,
) -> Error {
    Error::Feature {
        path: path.to_path_buf(),
        index,
        id: Some(id.to_string()),
        problem,
    }
}
