#![no_main]
// The entry point and its input format: core/src/fuzzing.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| authgate::fuzzing::callback(data));
