//! QTI importer (being written).

pub(crate) mod xml;
