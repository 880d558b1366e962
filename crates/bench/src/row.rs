//! One measured figure and the table they make.

use serde::Serialize;

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    /// What was measured, including the workload (`"ingest 5000 × 2 KiB, ..."`).
    pub name: String,
    /// The figure.
    pub value: f64,
    /// Its unit (`msg/s`, `ms`, `MiB`, ...).
    pub unit: String,
    /// The target it is held to, as text (`">= 11000"`, `"< 35"`, `"0"`, or `"-"`).
    pub target: String,
}

impl BenchRow {
    /// A row; `target` is free text.
    pub fn new(name: impl Into<String>, value: f64, unit: &str, target: &str) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.to_owned(),
            target: target.to_owned(),
        }
    }
}

/// Renders rows as a Markdown table (printed by `cargo xtask bench` and pasted into the
/// README).
pub fn table(rows: &[BenchRow]) -> String {
    let mut out = String::from("| measurement | value | unit | target |\n|---|---:|---|---|\n");
    for r in rows {
        let value = if r.value.abs() >= 100.0 {
            format!("{:.0}", r.value)
        } else if r.value.abs() >= 1.0 || r.value == 0.0 {
            format!("{:.2}", r.value)
        } else {
            // CPU per message and the like: enough digits to compare.
            format!("{:.4}", r.value)
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.name, value, r.unit, r.target
        ));
    }
    out
}
