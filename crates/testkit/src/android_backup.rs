//! Testkit writers: android_backup (to be filled).
