//! Fuzz inputs written as files: the path readers (shapefile sets, GeoPackages, CSV tables,
//! .pbf extracts) read files, not bytes. Each process writes into its own folder, in
//! `/dev/shm` when there is one (memory, not disk).

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use lifecircle::load::{Community, Facility, Layer};
use lifecircle::warning::LayerNote;
use lifecircle::{Config, Job};

/// This process's folder for the files of one input.
pub static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
    let base = Path::new("/dev/shm");
    let base = if base.is_dir() {
        base.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("lifecircle-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
});

/// A job reading `communities` and `facilities` (file names in [`DIR`]) with one category
/// ("market", 500 m) and a rule giving every facility with a `shop` or `amenity` tag (or
/// any facility, in a table) that category; `extra` is added to both layer tables.
pub fn job(communities: &str, facilities: &str, extra: &str) -> Job {
    let toml = format!(
        r#"
[communities]
path = "{c}"
{extra}

[facilities]
path = "{f}"
{extra}

[[facilities.rule]]
category = "market"
match = {{ shop = "*" }}

[[facilities.rule]]
category = "market"
match = {{ amenity = "*" }}

[[category]]
name = "market"
radius_m = 500
"#,
        c = DIR.join(communities).display(),
        f = DIR.join(facilities).display(),
    );
    let config = Config::from_toml(&toml, Path::new("fuzz.toml")).expect("fixed config parses");
    Job::from_config(&config, &DIR).expect("fixed config is a valid job")
}

/// Writes `bytes` as `name` in [`DIR`]; false if it could not be written.
pub fn put(name: &str, bytes: &[u8]) -> bool {
    std::fs::write(DIR.join(name), bytes).is_ok()
}

/// Records the reader skipped and said so (deleted dBase records).
pub fn deleted(note: Option<&LayerNote>) -> usize {
    match note {
        Some(LayerNote::DeletedRecords(n)) => *n,
        Some(LayerNote::Several(notes)) => notes.iter().map(|n| deleted(Some(n))).sum(),
        _ => 0,
    }
}

/// What the pipeline relies on in a community layer read without error: at least one
/// community; ids non-empty and unique; a polygon each; populations and households finite
/// and not negative; indices increasing.
pub fn check_communities(layer: &Layer<Community>) {
    assert!(
        !layer.features.is_empty(),
        "a community layer with no communities"
    );
    let mut ids = std::collections::HashSet::new();
    let mut last = None;
    for c in &layer.features {
        assert!(!c.id.is_empty(), "community {} has an empty id", c.index);
        assert!(ids.insert(c.id.as_str()), "community id {:?} twice", c.id);
        assert!(
            !c.boundary.0.is_empty(),
            "community {} has no polygon",
            c.id
        );
        for v in [c.population, c.households].into_iter().flatten() {
            assert!(v.is_finite() && v >= 0.0, "community {}: {v}", c.id);
        }
        assert!(last < Some(c.index), "indices not increasing");
        last = Some(c.index);
    }
}

/// What the pipeline relies on in a facility layer read without error: ids non-empty; at
/// least one site each, all finite; indices increasing; no blank category.
pub fn check_facilities(layer: &Layer<Facility>) {
    let mut last = None;
    for f in &layer.features {
        assert!(!f.id.is_empty(), "facility {} has an empty id", f.index);
        assert!(!f.sites.is_empty(), "facility {} has no site", f.id);
        for s in &f.sites {
            assert!(
                s.x.is_finite() && s.y.is_finite(),
                "facility {}: {s:?}",
                f.id
            );
        }
        assert!(last < Some(f.index), "indices not increasing");
        last = Some(f.index);
        if let Some(c) = &f.category {
            assert!(!c.trim().is_empty(), "facility {:?}: blank category", f.id);
        }
    }
}

/// What a reader gave: the layer when it read one; nothing on an error; a panic that is
/// not known aborts as a crash.
pub fn layer<T>(outcome: Result<lifecircle::Result<Layer<T>>, super::Panic>) -> Option<Layer<T>> {
    match outcome {
        Err(p) => {
            super::escaped(&p);
            None
        }
        Ok(read) => read.ok(),
    }
}
