//! Any text given to the nlp parser gives an architecture or a typed error, never a panic;
//! an architecture prints to a text that parses back to the same architecture.
#![no_main]

use libfuzzer_sys::fuzz_target;
use naspred_spaces::{AnyArch, SpaceKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(arch) = AnyArch::parse(SpaceKind::Nlp, text) {
        let again = AnyArch::parse(SpaceKind::Nlp, &arch.to_string())
            .expect("the printed form of an architecture parses");
        assert_eq!(again.arch_hash(), arch.arch_hash());
    }
});
