//! # portolan-wire
//!
//! Packets as two views (smoltcp style): a checked `Packet<T: AsRef<[u8]>>` over bytes and a `Repr` with
//! parse/emit. It starts empty in the foundation: the connect scan needs no packets of its own; the raw-packet
//! engine issue fills it. Invariant: no I/O, no allocation in parsing, every parser total (never panics).
