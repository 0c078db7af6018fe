//! nb101 search space (being written).
