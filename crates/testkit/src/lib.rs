//! Synthetic acquisitions for tests.
