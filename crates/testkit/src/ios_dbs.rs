//! Testkit writers: ios_dbs (to be filled).
