//! What "within reach" rests on: the spatial indexes of facilities and places, and the
//! street network (its graph, and the walk from each facility along it).

pub mod index;
pub mod network;
