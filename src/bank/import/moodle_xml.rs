//! Moodle XML importer (being written).
