//! placeholder
pub mod options;
