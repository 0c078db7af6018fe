//! nb201 search space (being written).
