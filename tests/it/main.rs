//! The integration tests, one binary: one module per area, the harness in `common` (the real app on port 0
//! against a fresh database cloned from a migrated template) and `webdriver` (headless Chromium).
//! Filter as before with the module name, e.g. `cargo test --test it -- browser::`.

mod common;
mod mail_sink;
mod oidc_provider;
mod webdriver;

mod accounts;
mod admin_users;
mod analytics;
mod api_packs;
mod audit;
mod bank_check;
mod browser;
mod classes;
mod exam;
mod exams;
mod help;
mod hostile_uploads;
mod import_text;
mod import_xml;
mod instructor;
mod mail;
mod metrics;
mod migration_exams;
mod own_data;
mod pack_list;
mod publishing;
mod security;
mod shipped_bank;
mod sso;
mod study;
mod trial_items;
