//! Micro benchmarks of the stages that dominate a large run: R-tree build and queries,
//! clipping one community against its circles, GeoJSON reading, projection.
//!
//! `cargo bench --bench micro` (or `make bench`, which also runs the scale series). Inputs
//! come from `lifecircle::synth`, the city `lifecircle synth` writes; each timed loop checks
//! its result, so a benchmark cannot time a no-op.

// A benchmark's setup failing is a bug in the benchmark: stop with its message.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use geo::{Coord, MultiPolygon};
use lifecircle::crs::WorkCrs;
use lifecircle::index::FacilityIndex;
use lifecircle::measure::measure_place;
use lifecircle::reach::circles::{nearest_and_count, Circles, StraightLine};
use lifecircle::reach::Place;
use lifecircle::synth::{City, CitySpec};

/// 10,000 communities and 1,000 facilities per category, in local metres.
fn city() -> City {
    City::generate(&CitySpec {
        communities: 10_000,
        facilities_per_category: 1_000,
        ..CitySpec::default()
    })
    .expect("a valid spec")
}

fn sites(city: &City, category: &str) -> Vec<Coord<f64>> {
    city.facilities()
        .filter(|(_, c)| *c == category)
        .map(|(at, _)| at)
        .collect()
}

fn rtree(c: &mut Criterion) {
    let city = city();
    let all: Vec<Coord<f64>> = city.facilities().map(|(at, _)| at).collect();
    let mut g = c.benchmark_group("rtree");
    g.throughput(Throughput::Elements(all.len() as u64));
    g.bench_function("bulk_load 4k sites", |b| {
        b.iter(|| {
            let index = FacilityIndex::new(all.iter().enumerate().map(|(i, &s)| (s, i)));
            assert_eq!(index.sites().len(), all.len());
            index
        })
    });
    let index = FacilityIndex::new(
        sites(&city, "health")
            .into_iter()
            .enumerate()
            .map(|(i, s)| (s, i)),
    );
    let model = StraightLine::default();
    let centres: Vec<Coord<f64>> = (0..city.communities())
        .step_by(10)
        .filter_map(|k| Place::new(MultiPolygon(vec![city.community(k)])).map(|p| p.centre))
        .collect();
    g.throughput(Throughput::Elements(centres.len() as u64));
    g.bench_function("nearest and count within 1 km, 1k queries", |b| {
        b.iter(|| {
            let found = centres
                .iter()
                .filter(|&&c| nearest_and_count(c, &index, &model, 1000.0).0.is_some())
                .count();
            assert_eq!(found, centres.len());
        })
    });
    g.finish();
}

fn clipping(c: &mut Criterion) {
    let city = city();
    let model = StraightLine::default();
    let index = FacilityIndex::new(
        sites(&city, "health")
            .into_iter()
            .enumerate()
            .map(|(i, s)| (s, i)),
    );
    let places: Vec<Place> = (0..city.communities())
        .filter_map(|k| Place::new(MultiPolygon(vec![city.community(k)])))
        .collect();
    let circles = Circles::new(index, &model);
    // A community partly covered by several circles: the case that costs.
    let partly = places
        .iter()
        .find(|p| {
            let cov = measure_place(p, &circles, 1000.0);
            cov.share > 0.3 && cov.share < 0.7 && cov.count == 0
        })
        .or_else(|| {
            places.iter().find(|p| {
                let s = measure_place(p, &circles, 1000.0).share;
                s > 0.0 && s < 1.0
            })
        })
        .expect("a partly covered community");
    let mut g = c.benchmark_group("clip");
    g.bench_function("one community against its 1 km circles", |b| {
        b.iter(|| {
            let cov = measure_place(black_box(partly), &circles, 1000.0);
            assert!(cov.share > 0.0 && cov.share < 1.0);
            cov
        })
    });
    g.throughput(Throughput::Elements(1000));
    g.bench_function("1k communities, 1 km", |b| {
        b.iter(|| {
            let covered: f64 = places[..1000]
                .iter()
                .map(|p| measure_place(p, &circles, 1000.0).covered_m2)
                .sum();
            assert!(covered > 0.0);
        })
    });
    g.finish();
}

fn reading(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    city().write(dir.path()).expect("the city is written");
    let config = lifecircle::Config::from_file(&dir.path().join("city.toml")).expect("the plan");
    let job = lifecircle::Job::from_config(&config, dir.path()).expect("a job");
    let layer = job.communities.clone().expect("a community layer");
    let text = std::fs::read(&layer.path).expect("the communities");
    let mut g = c.benchmark_group("geojson");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    g.bench_function("read 10k communities", |b| {
        b.iter(|| {
            let read = lifecircle::load::read_communities(&text[..], &layer).expect("readable");
            assert_eq!(read.features.len(), 10_000);
        })
    });
    let text = std::fs::read(&job.facilities.path).expect("the facilities");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("read 4k facilities", |b| {
        b.iter(|| {
            let read =
                lifecircle::load::read_facilities(&text[..], &job.facilities).expect("readable");
            assert_eq!(read.features.len(), 4_000);
        })
    });
    g.finish();
}

fn projection(c: &mut Criterion) {
    let city = city();
    let shapes: Vec<MultiPolygon<f64>> = (0..1000)
        .map(|k| {
            let mut p = city.community(k);
            use geo::MapCoordsInPlace;
            p.map_coords_in_place(|c| city.lonlat(c));
            MultiPolygon(vec![p])
        })
        .collect();
    let work = WorkCrs::choose(None, Coord { x: 117.2, y: 39.1 }).expect("UTM 50N");
    let coords: u64 = shapes
        .iter()
        .map(|s| geo::CoordsIter::coords_count(s) as u64)
        .sum();
    let mut g = c.benchmark_group("project");
    g.throughput(Throughput::Elements(coords));
    g.bench_function("1k communities to UTM", |b| {
        b.iter_batched(
            || shapes.clone(),
            |mut shapes| {
                for s in shapes.iter_mut() {
                    work.project(s).expect("projectable");
                }
                shapes
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = rtree, clipping, reading, projection
}
criterion_main!(benches);
