//! Testkit writers: ios_web (to be filled).
