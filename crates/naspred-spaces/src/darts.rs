//! darts search space (being written).
