//! Every parser of portolan-wire on one input: parse_frame for each link kind, each view's new_checked and
//! Repr parse, emit round trips, quote parsing, extension-header walking, fragmentation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    portolan_wire::fuzzing::exercise(data);
});
