//! Arbitrary bytes as a GeoJSON community layer and as a facility layer.
//!
//! `read_communities` and `read_facilities` must never panic: any input gives `Ok` or an
//! error. On `Ok` the layers must hold what the rest of the pipeline relies on:
//! - communities: at least one; every id non-empty and unique; every boundary has at least
//!   one polygon; indices are the features' positions, increasing;
//! - facilities: every facility has an id and at least one site, every site coordinate is
//!   finite; indices increasing.
//!
//! Panics already reported and awaiting a fix are listed in `common::KNOWN` and let through
//! (`LIFECIRCLE_FUZZ_STRICT=1` makes them crashes again).
#![no_main]

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifecircle::load::{Community, Facility, Layer};
use lifecircle::{Config, Job};

/// One category and a few category rules, so the rule matching is exercised too.
const TOML: &str = r#"
[communities]
path = "c.geojson"

[facilities]
path = "f.geojson"

[[facilities.rule]]
category = "market"
match = { shop = ["supermarket", "greengrocer"] }

[[facilities.rule]]
category = "health"
match = { amenity = "*", healthcare = "clinic" }

[[category]]
name = "market"
radius_m = 500
"#;

static JOB: LazyLock<Job> = LazyLock::new(|| {
    let config = Config::from_toml(TOML, Path::new("fuzz.toml")).expect("fixed config parses");
    Job::from_config(&config, Path::new(".")).expect("fixed config is a valid job")
});

fuzz_target!(|data: &[u8]| {
    common::install(false);
    let job = &*JOB;

    let communities = common::run(|| lifecircle::load::read_communities(data, job.communities.as_ref().expect("the fuzz config names communities")));
    let facilities = common::run(|| lifecircle::load::read_facilities(data, &job.facilities));

    match communities {
        Err(p) => common::escaped(&p),
        Ok(Err(_)) => {}
        Ok(Ok(layer)) => check_communities(&layer),
    }
    match facilities {
        Err(p) => common::escaped(&p),
        Ok(Err(_)) => {}
        Ok(Ok(layer)) => check_facilities(&layer),
    }
});

fn check_communities(layer: &Layer<Community>) {
    assert!(
        !layer.features.is_empty(),
        "a community layer with no communities"
    );
    let mut ids = HashSet::new();
    let mut last_index = None;
    for c in &layer.features {
        assert!(!c.id.is_empty(), "community {} has an empty id", c.index);
        assert!(ids.insert(c.id.as_str()), "community id {:?} twice", c.id);
        assert!(
            !c.boundary.0.is_empty(),
            "community {:?} has an empty boundary",
            c.id
        );
        assert!(
            last_index.is_none_or(|i| i < c.index),
            "indices out of order"
        );
        last_index = Some(c.index);
        for v in [c.population, c.households].into_iter().flatten() {
            assert!(v.is_finite() && v >= 0.0, "community {:?}: count {v}", c.id);
        }
    }
}

fn check_facilities(layer: &Layer<Facility>) {
    let mut last_index = None;
    for f in &layer.features {
        assert!(!f.id.is_empty(), "facility {} has an empty id", f.index);
        assert!(!f.sites.is_empty(), "facility {:?} has no site", f.id);
        for s in &f.sites {
            assert!(
                s.x.is_finite() && s.y.is_finite(),
                "facility {:?} has a site at ({}, {})",
                f.id,
                s.x,
                s.y
            );
        }
        assert!(
            last_index.is_none_or(|i| i < f.index),
            "indices out of order"
        );
        last_index = Some(f.index);
        if let Some(c) = &f.category {
            assert!(!c.trim().is_empty(), "facility {:?}: blank category", f.id);
        }
    }
}
