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

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
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
        Ok(Ok(layer)) => common::files::check_communities(&layer),
    }
    match facilities {
        Err(p) => common::escaped(&p),
        Ok(Err(_)) => {}
        Ok(Ok(layer)) => common::files::check_facilities(&layer),
    }
});
