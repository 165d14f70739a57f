#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| telltale_fuzz_targets::network::pcap_reader(data));
