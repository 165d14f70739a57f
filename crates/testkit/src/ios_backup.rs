//! Testkit writers: ios_backup (to be filled).
