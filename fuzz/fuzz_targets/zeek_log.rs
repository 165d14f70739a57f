#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| telltale_fuzz_targets::network::zeek_log(data));
