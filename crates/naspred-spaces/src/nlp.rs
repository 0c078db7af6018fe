//! nlp search space (being written).
