//! Testkit writers: androidqf (to be filled).
