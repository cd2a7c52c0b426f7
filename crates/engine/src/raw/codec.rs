//! The real [`ProbeCodec`](super::ProbeCodec): probes as bytes through `portolan-wire`.
