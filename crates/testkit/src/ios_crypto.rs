//! Testkit writers: ios_crypto (to be filled).
