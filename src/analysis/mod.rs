//! Measuring: each place's coverage per category (circles or the network, gaps, the curve),
//! demand placement, life-circle levels, ratio indicators, siting, and the summaries.

pub mod category;
pub mod curve;
pub mod demand;
pub mod gaps;
pub mod indicator;
pub mod level;
pub mod measure;
pub mod prepare;
pub mod results;
pub mod siting;
pub mod study;
pub mod summary;
pub mod tiles;
