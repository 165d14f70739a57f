//! Plain parsers of the text artifacts of sysdiagnose archives and filesystem dumps (no I/O, no
//! indicators): the shutdown log, `.ips` reports and process lists. The modules build on them; the fuzz
//! targets call them directly.

pub mod ips;
pub mod ps;
pub mod shutdown;
