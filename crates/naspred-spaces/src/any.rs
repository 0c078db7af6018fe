//! AnyArch (written after the spaces).
