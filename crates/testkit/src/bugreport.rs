//! Testkit writers: bugreport (to be filled).
