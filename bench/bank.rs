//! Bank benchmark: generates a large pack (10,000 items by default, every type, spread over the shipped
//! blueprint's domains and objectives, about as long as the shipped items) into a temporary folder of
//! several files, then times `ai102::bank::check_path` (several runs, median) and
//! `ai102::store::bank::import_path` into a fresh database (first import, then the idempotent re-import).
//! Then, per upload format (our YAML and JSON, GIFT, Moodle XML, Aiken, CSV, a QTI 3.0 content package), one
//! file of `--format-items` items: times `bank::upload::read_upload` (parse and check, the median of
//! `--format-runs`) and one end-to-end import, `read_upload` then `packs::import_read`, the function the upload
//! route calls (what an instructor waits for, less the transfer), into a fresh database `<database>_<format>`
//! that is dropped afterwards. Prints one JSON object; `--summary FILE` also writes a table of the per-format
//! figures for bench/run.sh.
//!
//! ```text
//! cargo run --release --example bank_bench -- --items 10000
//! ```

use clap::Parser;
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Times checking and importing a generated pack; prints JSON")]
struct Args {
    /// Entries in the pack (one in a hundred is a case study of three questions).
    #[arg(long, default_value_t = 10_000)]
    items: usize,
    /// Files the items are spread over.
    #[arg(long, default_value_t = 10)]
    files: usize,
    /// Timed runs of the checker (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// A server to import into (a database of `--database` is created there afresh).
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// The database created for the import (dropped first if it exists).
    #[arg(long, default_value = "ai102_bench_bank")]
    database: String,
    /// Keep the generated pack in this folder instead of a temporary one.
    #[arg(long)]
    keep: Option<PathBuf>,
    /// Items in each per-format file.
    #[arg(long, default_value_t = 10_000)]
    format_items: usize,
    /// Upload formats to time, comma-separated (`none` for none).
    #[arg(long, default_value = "yaml,json,gift,moodle-xml,aiken,csv,qti3")]
    formats: String,
    /// Timed runs of `read_upload` per format (the median is reported).
    #[arg(long, default_value_t = 3)]
    format_runs: usize,
    /// Also write the per-format figures as a text table to this file.
    #[arg(long)]
    summary: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = match &args.keep {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("ai102-bank-bench-{}", std::process::id())),
    };
    let generated = Instant::now();
    let (bytes, questions) = generate(&dir, args.items, args.files.max(1))?;
    let generate_seconds = generated.elapsed().as_secs_f64();
    eprintln!(
        "bank_bench: {} items ({questions} questions, {:.1} MB) generated in {}",
        args.items,
        bytes as f64 / 1e6,
        dir.display()
    );

    let mut check_times = Vec::new();
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        let report = ai102::bank::check_path(&dir)?;
        check_times.push(t.elapsed().as_secs_f64());
        if !report.is_clean() {
            for p in report.problems.iter().take(10) {
                eprintln!("{p}");
            }
            anyhow::bail!(
                "the generated pack has {} problem(s)",
                report.problems.len()
            );
        }
        anyhow::ensure!(
            report.items.len() == args.items,
            "the checker typed {} items, not {}",
            report.items.len(),
            args.items
        );
    }
    let check_median = median(&check_times);
    eprintln!("bank_bench: check median {check_median:.2} s");

    let import = match &args.database_url {
        Some(url) => Some(import(url, &args.database, &dir).await?),
        None => None,
    };

    let mut formats = Vec::new();
    let mut table = String::new();
    let names: Vec<&str> = args
        .formats
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty() && *f != "none")
        .collect();
    if !names.is_empty() {
        // Our formats and QTI are written from a pack of the wanted size, checked as the folder above is.
        let pack_dir = dir.join("per-format");
        generate(&pack_dir, args.format_items, 1)?;
        let report = ai102::bank::check_path(&pack_dir)?;
        let pack = report
            .pack
            .ok_or_else(|| anyhow::anyhow!("the generated pack has no metadata"))?;
        std::fs::remove_dir_all(&pack_dir)?;
        let _ = writeln!(
            table,
            "  {:<11} {:>8} {:>7} {:>14} {:>10} {:>13}",
            "format", "size", "items", "parse+check", "items/s", "import (e2e)"
        );
        for name in names {
            let figures = per_format(&args, name, &pack).await?;
            let _ = writeln!(
                table,
                "  {:<11} {:>5.1} MB {:>7} {:>12.3} s {:>10.0} {:>11}",
                name,
                figures["file_megabytes"].as_f64().unwrap_or_default(),
                figures["file_items"].as_u64().unwrap_or_default(),
                figures["read_median_seconds"].as_f64().unwrap_or_default(),
                figures["read_items_per_sec"].as_f64().unwrap_or_default(),
                figures["import_seconds"]
                    .as_f64()
                    .map_or("n/a".to_owned(), |s| format!("{s:.2} s")),
            );
            formats.push(figures);
        }
        eprint!("{table}");
        if let Some(path) = &args.summary {
            std::fs::write(path, &table)?;
        }
    }
    if args.keep.is_none() {
        std::fs::remove_dir_all(&dir)?;
    }
    let out = json!({
        "items": args.items,
        "questions": questions,
        "files": args.files.max(1) + 1,
        "megabytes": round(bytes as f64 / 1e6),
        "generate_seconds": round(generate_seconds),
        "check_runs_seconds": check_times.iter().map(|t| round(*t)).collect::<Vec<_>>(),
        "check_median_seconds": round(check_median),
        "check_items_per_sec": round(args.items as f64 / check_median),
        "import": import,
        "formats": formats,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// Imports the pack twice into a fresh database: the second import must change nothing.
async fn import(server_url: &str, name: &str, dir: &Path) -> anyhow::Result<serde_json::Value> {
    anyhow::ensure!(
        name.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "database name {name} must be lower-case letters, digits and _"
    );
    let admin = sqlx::PgPool::connect(server_url).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let (prefix, _) = server_url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("DATABASE_URL has no database name"))?;
    let db = ai102::store::connect(&format!("{prefix}/{name}"), 4).await?;
    ai102::store::migrate(&db).await?;

    let t = Instant::now();
    let (first, _) =
        ai102::store::bank::import_path(&db, dir, None, ai102::store::bank::PackStatus::Published)
            .await?;
    let first_seconds = t.elapsed().as_secs_f64();
    eprintln!(
        "bank_bench: first import {first_seconds:.2} s ({} added)",
        first.added
    );
    let t = Instant::now();
    let (second, _) =
        ai102::store::bank::import_path(&db, dir, None, ai102::store::bank::PackStatus::Published)
            .await?;
    let second_seconds = t.elapsed().as_secs_f64();
    eprintln!(
        "bank_bench: second import {second_seconds:.2} s ({} unchanged)",
        second.unchanged
    );
    anyhow::ensure!(
        second.added == 0 && second.changed == 0 && second.retired == 0,
        "the second import changed something: {second:?}"
    );
    db.close().await;
    Ok(json!({
        "database": name,
        "first_seconds": round(first_seconds),
        "first": first,
        "second_seconds": round(second_seconds),
        "second": second,
    }))
}

/// One upload file of `format` with the pack's items (or, for the foreign formats, as many generated questions),
/// timed through `read_upload` and, with a database, imported once end to end.
async fn per_format(
    args: &Args,
    format: &str,
    pack: &ai102::bank::model::Pack,
) -> anyhow::Result<serde_json::Value> {
    let n = args.format_items;
    let (file_name, bytes) = upload_file(format, pack, n)?;
    let megabytes = bytes.len() as f64 / 1e6;
    if bytes.len() > ai102::bank::upload::MAX_UPLOAD_BYTES {
        eprintln!(
            "bank_bench: {file_name} is {megabytes:.1} MB, over the upload limit (timed all the same)"
        );
    }
    let bp = ai102::packs::blueprint()?;
    let mut times = Vec::new();
    let mut read = None;
    for _ in 0..args.format_runs.max(1) {
        let t = Instant::now();
        let upload = ai102::bank::upload::read_upload(&file_name, &bytes, None, bp);
        times.push(t.elapsed().as_secs_f64());
        read = Some(upload);
    }
    let read = read.expect("at least one run");
    if !read.is_clean() {
        for p in read.problems.iter().take(10) {
            eprintln!("{p}");
        }
        anyhow::bail!(
            "{file_name}: {} problem(s) in the generated file",
            read.problems.len()
        );
    }
    let questions: usize = read.items.iter().map(|i| i.questions().len()).sum();
    let median_seconds = median(&times);
    eprintln!(
        "bank_bench: {format}: {file_name} {megabytes:.1} MB, {} items, read_upload median {median_seconds:.3} s",
        read.items.len()
    );
    let mut out = json!({
        "format": format,
        "file": file_name,
        // Not `items`, `megabytes`, `questions`: bench/run.sh reads the first of each key, the pack's.
        "file_bytes": bytes.len(),
        "file_megabytes": round(megabytes),
        "file_items": read.items.len(),
        "file_questions": questions,
        "read_runs_seconds": times.iter().map(|t| round(*t)).collect::<Vec<_>>(),
        "read_median_seconds": round(median_seconds),
        "read_items_per_sec": round(read.items.len() as f64 / median_seconds),
    });
    if let Some(url) = &args.database_url {
        let name = format!("{}_{}", args.database, format.replace('-', "_"));
        let db = fresh_database(url, &name).await?;
        // What the upload route does once the bytes are in: read, then import (draft, checked for publishing).
        let t = Instant::now();
        let upload = ai102::bank::upload::read_upload(&file_name, &bytes, None, bp);
        let summary = ai102::packs::import_read(&db, None, &file_name, upload, false)
            .await
            .map_err(|e| anyhow::anyhow!("{file_name}: import failed: {e}"))?;
        let seconds = t.elapsed().as_secs_f64();
        eprintln!(
            "bank_bench: {format}: end-to-end import {seconds:.2} s ({} added)",
            summary.added
        );
        db.close().await;
        drop_database(url, &name).await?;
        out["database"] = json!(name);
        out["import_seconds"] = json!(round(seconds));
        out["import_items_per_sec"] = json!(round(read.items.len() as f64 / seconds));
        out["added"] = json!(summary.added);
    }
    Ok(out)
}

/// The file an instructor would upload: (name, bytes).
fn upload_file(
    format: &str,
    pack: &ai102::bank::model::Pack,
    n: usize,
) -> anyhow::Result<(String, Vec<u8>)> {
    use ai102::bank::model::PackFile;
    let file = || PackFile {
        pack: Some(pack.meta.clone()),
        items: pack.items.clone(),
    };
    Ok(match format {
        "yaml" => (
            "bench.yaml".into(),
            ai102::bank::yaml_out::to_yaml(&file())
                .map_err(anyhow::Error::msg)?
                .into_bytes(),
        ),
        "json" => ("bench.json".into(), serde_json::to_vec(&file())?),
        "qti3" => (
            "bench-qti3.zip".into(),
            ai102::bank::export::export_qti3(pack).map_err(anyhow::Error::msg)?,
        ),
        "gift" => ("bench.gift".into(), gift(n).into_bytes()),
        "moodle-xml" => ("bench.xml".into(), moodle_xml(n).into_bytes()),
        "aiken" => ("bench.txt".into(), aiken(n).into_bytes()),
        "csv" => ("bench.csv".into(), csv(n).into_bytes()),
        other => anyhow::bail!(
            "unknown format `{other}`: use yaml, json, gift, moodle-xml, aiken, csv or qti3"
        ),
    })
}

/// A GIFT file: single and multiple choice (weights), true/false and matching, with feedback.
fn gift(n: usize) -> String {
    let esc = |t: &str| {
        t.chars().fold(String::new(), |mut s, c| {
            if "~=#{}:".contains(c) {
                s.push('\\');
            }
            s.push(c);
            s
        })
    };
    let mut s = String::new();
    for i in 0..n {
        if i % 500 == 0 {
            let _ = writeln!(s, "$CATEGORY: $course$/top/Bench/Part {}\n", i / 500);
        }
        let stem = esc(&scenario(i).replace('\n', " "));
        let why = esc(&explanation(i).replace("\n\n", " ").replace('\n', " "));
        let o = |k: char| format!("Option {k} for workload {i}, with its own configuration");
        let body = match i % 4 {
            0 => format!("={} ~{} ~{} ~{}", o('a'), o('b'), o('c'), o('d')),
            1 => format!(
                "~%50%{} ~%-100%{} ~%50%{} ~%-100%{}",
                o('a'),
                o('b'),
                o('c'),
                o('d')
            ),
            2 => "TRUE".to_owned(),
            _ => "=Azure AI Search -> Index documents =Azure AI Vision -> Tag images =Azure AI Speech -> Transcribe calls".to_owned(),
        };
        let _ = writeln!(
            s,
            "::gen-{i:05}::[markdown]{stem} Which option meets the requirements?\n{{{body}\n####{why}\n}}\n"
        );
    }
    s
}

/// A Moodle XML quiz: multichoice (one and several answers), true/false and matching, in categories.
fn moodle_xml(n: usize) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n");
    for i in 0..n {
        if i % 500 == 0 {
            let _ = writeln!(
                s,
                "  <question type=\"category\"><category><text>$course$/top/Bench/Part {}</text></category></question>",
                i / 500
            );
        }
        let head = format!(
            "    <name><text>gen-{i:05}</text></name>\n    <questiontext format=\"html\"><text><![CDATA[<p>{}</p><p>Which option meets the requirements?</p>]]></text></questiontext>\n    <generalfeedback format=\"html\"><text><![CDATA[<p>{}</p>]]></text></generalfeedback>\n",
            scenario(i).replace('\n', " "),
            explanation(i).replace("\n\n", "</p><p>").replace('\n', " ")
        );
        let answer = |fraction: &str, k: char| {
            format!("    <answer fraction=\"{fraction}\"><text>Option {k} for workload {i}, with its own configuration</text><feedback><text>Option {k} is {}.</text></feedback></answer>\n",
                if fraction.starts_with('-') || fraction == "0" { "wrong" } else { "right" })
        };
        match i % 4 {
            0 | 1 => {
                let single = i % 4 == 0;
                let _ = write!(
                    s,
                    "  <question type=\"multichoice\">\n{head}    <single>{single}</single>\n"
                );
                let fractions = if single {
                    ["100", "0", "0", "0"]
                } else {
                    ["50", "-100", "50", "-100"]
                };
                for (f, k) in fractions.iter().zip(['a', 'b', 'c', 'd']) {
                    s.push_str(&answer(f, k));
                }
            }
            2 => {
                let _ = write!(s, "  <question type=\"truefalse\">\n{head}");
                s.push_str("    <answer fraction=\"100\"><text>true</text></answer>\n    <answer fraction=\"0\"><text>false</text></answer>\n");
            }
            _ => {
                let _ = write!(s, "  <question type=\"matching\">\n{head}");
                for (q, a) in [
                    ("Index documents", "Azure AI Search"),
                    ("Tag images", "Azure AI Vision"),
                    ("Transcribe calls", "Azure AI Speech"),
                ] {
                    let _ = writeln!(
                        s,
                        "    <subquestion format=\"html\"><text>{q}</text><answer><text>{a}</text></answer></subquestion>"
                    );
                }
            }
        }
        s.push_str("  </question>\n");
    }
    s.push_str("</quiz>\n");
    s
}

/// An Aiken file: single and multiple choice (`ANSWER: A, C`), with a feedback line.
fn aiken(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let _ = writeln!(
            s,
            "{} Which option meets the requirements?",
            scenario(i).replace('\n', " ")
        );
        for k in ['A', 'B', 'C', 'D'] {
            let _ = writeln!(
                s,
                "{k}) Option {k} for workload {i}, with its own configuration"
            );
        }
        let answer = if i % 2 == 0 { "B" } else { "A, C" };
        let _ = writeln!(
            s,
            "ANSWER: {answer}\nFeedback: {}\n",
            explanation(i).replace("\n\n", " ").replace('\n', " ")
        );
    }
    s
}

/// A CSV file in our column layout: single, multiple and order rows, with a category, explanation and
/// reference.
fn csv(n: usize) -> String {
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    let mut s = String::from(
        "id,type,category,question,option_a,option_b,option_c,option_d,option_e,option_f,answer,explanation,reference\n",
    );
    for i in 0..n {
        let (kind, answer) = match i % 3 {
            0 => ("single", "B"),
            1 => ("multiple", "A;C"),
            _ => ("order", "A;B;C;D"),
        };
        let options: Vec<String> = ['a', 'b', 'c', 'd']
            .iter()
            .map(|k| {
                quote(&format!(
                    "Option {k} for workload {i}, with its own configuration"
                ))
            })
            .collect();
        let _ = writeln!(
            s,
            "gen-{i:05},{kind},Bench/Part {},{},{},,,{answer},{},https://learn.microsoft.com/azure/ai-services/authentication",
            i / 500,
            quote(&format!(
                "{} Which option meets the requirements?",
                scenario(i).replace('\n', " ")
            )),
            options.join(","),
            quote(&explanation(i).replace("\n\n", " ").replace('\n', " ")),
        );
    }
    s
}

async fn fresh_database(server_url: &str, name: &str) -> anyhow::Result<sqlx::PgPool> {
    anyhow::ensure!(
        name.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "database name {name} must be lower-case letters, digits and _"
    );
    drop_database(server_url, name).await?;
    let admin = sqlx::PgPool::connect(server_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let (prefix, _) = server_url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("DATABASE_URL has no database name"))?;
    let db = ai102::store::connect(&format!("{prefix}/{name}"), 4).await?;
    ai102::store::migrate(&db).await?;
    Ok(db)
}

async fn drop_database(server_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = sqlx::PgPool::connect(server_url).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await?;
    admin.close().await;
    Ok(())
}

/// Writes `pack.yaml` and `items/part-NN.yaml`; returns (bytes written, scored questions).
fn generate(dir: &Path, items: usize, files: usize) -> anyhow::Result<(usize, usize)> {
    let blueprint = ai102::bank::check::shipped_blueprint()
        .map_err(|p| anyhow::anyhow!("shipped blueprint: {p:?}"))?;
    // Domains in proportion to the middle of their weight ranges.
    let mut domains = Vec::new();
    for d in &blueprint.domains {
        let share = ((d.weight.min + d.weight.max) / 5.0).round() as usize;
        domains.extend(std::iter::repeat_n(d, share.max(1)));
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir.join("items"))?;
    let meta = "pack:\n  id: bench-pack\n  title: Generated benchmark pack\n  version: 1\n  blueprint: ai102\n";
    std::fs::write(dir.join("pack.yaml"), meta)?;
    let mut bytes = meta.len();
    let mut questions = 0;
    let per_file = items.div_ceil(files);
    for f in 0..files {
        let mut text = String::from("items:\n");
        for i in f * per_file..((f + 1) * per_file).min(items) {
            let domain = domains[i % domains.len()];
            let objective = |k: usize| {
                let objectives = &domain.objectives;
                objectives[(i / domains.len() + k) % objectives.len()]
                    .id
                    .as_str()
            };
            if i % 100 == 99 {
                text.push_str(&case_study(i, &domain.id, objective));
                questions += 3;
            } else {
                let q = question(
                    &format!("gen-{i:05}"),
                    i % 6,
                    Some(&domain.id),
                    objective(0),
                );
                text.push_str(&indent(&q, 2));
                questions += 1;
            }
        }
        bytes += text.len();
        std::fs::write(dir.join(format!("items/part-{f:02}.yaml")), text)?;
    }
    Ok((bytes, questions))
}

/// A paragraph of scenario text, different for each item, about as long as the shipped items' stems.
fn scenario(i: usize) -> String {
    format!(
        "Contoso Ltd. runs workload {i} for {} users in the {} region. The team stores its keys in Azure Key\n\
         Vault, deploys with a CI/CD pipeline, and must keep latency under {} ms while costs stay within the\n\
         monthly budget agreed with finance. Requests arrive from a web app and from a nightly batch job.",
        100 + i % 900,
        ["westeurope", "eastus", "japaneast", "brazilsouth"][i % 4],
        50 + i % 200
    )
}

fn explanation(i: usize) -> String {
    format!(
        "**The keyed answer is right** for workload {i}: it meets the latency and cost constraints together.\n\n\
         **The other options are wrong**: each of them breaks one of the constraints in the scenario, either by\n\
         adding a hop that costs latency or by provisioning capacity that the budget does not allow."
    )
}

fn options(i: usize, n: usize) -> String {
    let mut s = String::from("options:\n");
    for k in 0..n {
        let id = (b'a' + k as u8) as char;
        let _ = writeln!(
            s,
            "  - {{ id: {id}, text: \"Option {id} for workload {i}, with its own configuration\" }}"
        );
    }
    s
}

/// One question as YAML, starting with `- id:`, the fields indented by two spaces.
fn question(id: &str, kind: usize, domain: Option<&str>, objective: &str) -> String {
    let i: usize = id
        .rsplit('-')
        .find_map(|p| p.parse().ok())
        .unwrap_or_default();
    let (type_name, body) = match kind {
        0 => ("single", format!("{}answer: b\n", options(i, 4))),
        1 => (
            "multiple",
            format!("choose: 2\n{}answer: [a, c]\n", options(i, 5)),
        ),
        2 => (
            "yes_no_series",
            "statements:\n  - { id: s1, text: \"The first design meets the requirement.\", answer: yes }\n  \
             - { id: s2, text: \"The second design meets the requirement.\", answer: no }\n  \
             - { id: s3, text: \"The third design meets the requirement.\", answer: yes }\n"
                .to_owned(),
        ),
        3 => (
            "order",
            "steps:\n  - { id: a, text: \"Create the resource\" }\n  - { id: b, text: \"Assign the role\" }\n  \
             - { id: c, text: \"Deploy the model\" }\n  - { id: d, text: \"Delete the resource group\" }\n\
             answer: [a, b, c]\n"
                .to_owned(),
        ),
        4 => (
            "match",
            "choices:\n  - { id: x, text: \"Azure AI Search\" }\n  - { id: y, text: \"Azure AI Vision\" }\n  \
             - { id: z, text: \"Azure AI Speech\" }\n\
             slots:\n  - { id: s1, text: \"Index documents\" }\n  - { id: s2, text: \"Tag images\" }\n\
             answer: { s1: x, s2: y }\n"
                .to_owned(),
        ),
        _ => (
            "hot_area",
            "template_language: python\ntemplate: |\n  client = [[cls]](endpoint, credential)\n  \
             results = client.[[op]](search_text=query)\n\
             slots:\n  - id: cls\n    options: [{ id: a, text: SearchClient }, { id: b, text: SearchIndexClient }]\n    \
             answer: a\n  - id: op\n    options: [{ id: a, text: search }, { id: b, text: upload_documents }]\n    \
             answer: a\n"
                .to_owned(),
        ),
    };
    let mut s = format!("- id: {id}\n  type: {type_name}\n");
    if let Some(d) = domain {
        let _ = writeln!(s, "  domain: {d}");
    }
    let _ = writeln!(s, "  objective: {objective}\n  difficulty: medium");
    let _ = writeln!(
        s,
        "  stem: |\n{}\n\n    Which option meets the requirements?",
        indent(&scenario(i), 4).trim_end()
    );
    s.push_str(&indent(&body, 2));
    let _ = writeln!(
        s,
        "  explanation: |\n{}",
        indent(&explanation(i), 4).trim_end()
    );
    s.push_str(
        "  references:\n    - https://learn.microsoft.com/azure/ai-services/authentication\n    \
         - https://learn.microsoft.com/azure/ai-services/responsible-use-of-ai-overview\n",
    );
    s
}

/// A case study with a document and three single-choice and yes/no questions.
fn case_study<'a>(i: usize, domain: &str, objective: impl Fn(usize) -> &'a str) -> String {
    let mut s = format!(
        "- id: case-{i:05}\n  type: case_study\n  domain: {domain}\n  title: Contoso workload {i}\n  \
         stem: Read the [overview](#overview) before you answer.\n  documents:\n    - id: overview\n      \
         title: Overview\n      body: |\n{}\n  questions:\n",
        indent(&scenario(i), 8).trim_end()
    );
    for (k, kind) in [0usize, 2, 0].iter().enumerate() {
        let q = question(&format!("case-{i:05}-q{k}"), *kind, None, objective(k));
        s.push_str(&indent(&q, 4));
    }
    indent(&s, 2)
}

fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_owned()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
