//! QTI importer (being written).
