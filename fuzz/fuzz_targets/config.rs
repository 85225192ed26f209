//! Arbitrary bytes as a TOML configuration.
//!
//! `Config::from_toml` and `Job::from_config` must never panic (errors are fine; bytes that
//! are not UTF-8 are skipped, as `Config::from_file` would refuse them before parsing). On
//! `Ok` the job must hold what the pipeline relies on: at least one category, unique plain
//! category names, every radius finite, above 0 and at most `MAX_RADIUS_M`, targets in
//! 0..=1, served thresholds in (0, 1], a finite non-negative minimum gap area, absolute
//! paths.
//!
//! Panics already reported and awaiting a fix are listed in `common::KNOWN` and let through
//! (`LIFECIRCLE_FUZZ_STRICT=1` makes them crashes again).
#![no_main]

mod common;

use std::collections::HashSet;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lifecircle::config::MAX_RADIUS_M;
use lifecircle::{Config, Job};

fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    common::install(false);
    let parsed = common::run(|| {
        Config::from_toml(text, Path::new("fuzz.toml"))
            .and_then(|config| Job::from_config(&config, Path::new("/fuzz")))
    });
    let job = match parsed {
        Err(p) => return common::escaped(&p),
        Ok(Err(_)) => return,
        Ok(Ok(job)) => job,
    };
    check(&job);
});

fn check(job: &Job) {
    assert!(!job.categories.is_empty(), "a job with no category");
    let mut names = HashSet::new();
    for c in &job.categories {
        assert!(plain(&c.name), "category name {:?}", c.name);
        assert!(names.insert(c.name.as_str()), "category {:?} twice", c.name);
        assert!(
            c.radius_m.is_finite() && c.radius_m > 0.0 && c.radius_m <= MAX_RADIUS_M,
            "category {:?}: radius_m is {} ({})",
            c.name,
            c.radius_m,
            c.radius_basis
        );
        if let Some(t) = c.target {
            assert!(
                (0.0..=1.0).contains(&t),
                "category {:?}: target {t}",
                c.name
            );
        }
        assert!(
            c.served_threshold > 0.0 && c.served_threshold <= 1.0,
            "category {:?}: served_threshold {}",
            c.name,
            c.served_threshold
        );
    }
    for r in &job.facilities.rules {
        assert!(plain(&r.category), "rule category {:?}", r.category);
    }
    assert!(
        job.min_gap_area_m2.is_finite() && job.min_gap_area_m2 >= 0.0,
        "min_gap_area_m2 {}",
        job.min_gap_area_m2
    );
    assert!(job.communities.as_ref().is_none_or(|c| c.path.is_absolute()) && job.facilities.path.is_absolute());
    assert!(job.out_dir.is_absolute());
}
