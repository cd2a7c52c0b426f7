//! placeholder (lead is writing the engine)
pub mod targets;
