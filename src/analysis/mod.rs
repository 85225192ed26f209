//! Measuring: each place's coverage per category (circles or the network, gaps, the curve),
//! demand placement, life-circle levels, ratio indicators, siting, and the summaries.

pub mod demand;
pub mod indicator;
pub mod level;
pub mod measure;
pub mod siting;
pub mod summary;
pub mod tiles;
