//! Output writers (to be written).
