//! What a run found, scenario by scenario: each step with its status and time, the
//! evidence the World kept (emails read, timings, a screenshot), and the verdict once
//! the profile's expected failures are taken into account ([`Verdict`]): green when
//! exactly the listed scenarios fail, red on any other failure and on a listed one that
//! now passes (the list ratchets: it only shrinks).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use cucumber::{cli, event, gherkin, parser, writer};

use crate::profile::ExpectedFailure;
use crate::timing::TimingFigures;
use crate::world::PortalWorld;

/// Identifies a scenario (an outline's row has its own line).
pub type ScenarioKey = (String, String, usize);

/// The key of a scenario of a feature.
pub fn key_of(feat: &gherkin::Feature, sc: &gherkin::Scenario) -> ScenarioKey {
    (feat.name.clone(), sc.name.clone(), sc.position.line)
}

/// An email a scenario read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSeen {
    /// Its recipients.
    pub to: String,
    /// Its subject.
    pub subject: String,
    /// Its links.
    pub links: Vec<String>,
}

/// What the World kept for the report.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Emails read, in order.
    pub emails: Vec<EmailSeen>,
    /// Timings measured.
    pub timings: Vec<TimingFigures>,
    /// The page at the scenario's end (browser mode), PNG.
    pub screenshot: Option<Vec<u8>>,
}

/// A step's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// It passed.
    Passed,
    /// It failed.
    Failed,
    /// It did not run (an earlier step failed) or matched no definition.
    Skipped,
}

/// One step as it ran.
#[derive(Debug, Clone)]
pub struct StepRecord {
    /// Keyword and text.
    pub text: String,
    /// Its outcome.
    pub status: StepStatus,
    /// Why it failed.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub ms: Option<f64>,
}

/// One scenario as it ran.
#[derive(Debug, Clone)]
pub struct ScenarioRecord {
    /// Feature name, scenario name, line.
    pub key: ScenarioKey,
    /// The feature's file.
    pub file: String,
    /// Tags of the feature, rule and scenario (without `@`).
    pub tags: Vec<String>,
    /// Its steps, background first.
    pub steps: Vec<StepRecord>,
    /// A hook's failure (setting the scenario up).
    pub hook_error: Option<String>,
    /// What the World kept.
    pub evidence: Evidence,
    started: Option<SystemTime>,
}

impl ScenarioRecord {
    /// Whether the scenario failed.
    pub fn failed(&self) -> bool {
        self.hook_error.is_some() || self.steps.iter().any(|s| s.status != StepStatus::Passed)
    }

    /// A record made by hand (for tests of what reads records).
    #[cfg(test)]
    pub fn for_test(
        key: ScenarioKey,
        tags: Vec<String>,
        steps: Vec<StepRecord>,
        evidence: Evidence,
    ) -> Self {
        Self {
            key,
            file: String::new(),
            tags,
            steps,
            hook_error: None,
            evidence,
            started: None,
        }
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.key.1
    }

    /// All step texts, for matching an expected failure's `example`.
    fn steps_text(&self) -> String {
        self.steps
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// One line per failure, for the summary.
    pub fn failure_lines(&self) -> Vec<String> {
        let (feature, name, line) = &self.key;
        let mut out: Vec<String> = self
            .steps
            .iter()
            .filter(|s| s.status != StepStatus::Passed)
            .map(|s| {
                format!(
                    "{feature} › {name} (line {line}) › {} — {}",
                    s.text,
                    s.error.as_deref().unwrap_or("not run")
                )
            })
            .collect();
        if let Some(e) = &self.hook_error {
            out.push(format!("{feature} › {name} — set-up failed: {e}"));
        }
        out
    }
}

/// The records of a run, filled by the writer as events come.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    scenarios: Arc<Mutex<Vec<ScenarioRecord>>>,
    evidence: Arc<Mutex<HashMap<ScenarioKey, Evidence>>>,
}

impl Recorder {
    /// Keeps what the World gathered for a scenario (called by the after hook).
    pub fn keep_evidence(&self, key: ScenarioKey, evidence: Evidence) {
        lock(&self.evidence).insert(key, evidence);
    }

    /// The scenarios, each with its evidence, in the order they started.
    pub fn records(&self) -> Vec<ScenarioRecord> {
        let mut evidence = std::mem::take(&mut *lock(&self.evidence));
        let mut out = lock(&self.scenarios).clone();
        for r in &mut out {
            if let Some(e) = evidence.remove(&r.key) {
                r.evidence = e;
            }
        }
        out
    }

    fn scenario(
        &self,
        feat: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        sc: &gherkin::Scenario,
        ev: &event::Scenario<PortalWorld>,
        at: SystemTime,
    ) {
        let key = key_of(feat, sc);
        let mut all = lock(&self.scenarios);
        if matches!(ev, event::Scenario::Started) {
            let tags = feat
                .tags
                .iter()
                .chain(rule.into_iter().flat_map(|r| r.tags.iter()))
                .chain(sc.tags.iter())
                .map(|t| t.trim_start_matches('@').to_owned())
                .collect();
            all.push(ScenarioRecord {
                key,
                file: feat
                    .path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                tags,
                steps: Vec::new(),
                hook_error: None,
                evidence: Evidence::default(),
                started: None,
            });
            return;
        }
        let Some(record) = all.iter_mut().rev().find(|r| r.key == key) else {
            return;
        };
        match ev {
            event::Scenario::Step(step, ev) | event::Scenario::Background(step, ev) => {
                let text = format!("{}{}", step.keyword, step.value);
                let ms = record
                    .started
                    .take()
                    .and_then(|t| at.duration_since(t).ok())
                    .map(|d| d.as_secs_f64() * 1000.0);
                let (status, error) = match ev {
                    event::Step::Started => {
                        record.started = Some(at);
                        return;
                    }
                    event::Step::Passed(..) => (StepStatus::Passed, None),
                    event::Step::Skipped => {
                        record.steps.push(StepRecord {
                            text,
                            status: StepStatus::Skipped,
                            error: None,
                            ms: None,
                        });
                        return;
                    }
                    event::Step::Failed(_, _, _, err) => {
                        (StepStatus::Failed, Some(err.to_string()))
                    }
                };
                record.steps.push(StepRecord {
                    text,
                    status,
                    error,
                    ms,
                });
            }
            event::Scenario::Hook(_, event::Hook::Failed(_, info)) => {
                record.hook_error = Some(
                    info.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| info.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default(),
                );
            }
            _ => {}
        }
    }
}

impl writer::Writer<PortalWorld> for Recorder {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<cucumber::Event<event::Cucumber<PortalWorld>>>,
        _cli: &Self::Cli,
    ) {
        let Ok(event) = event else { return };
        let at = event.at;
        if let event::Cucumber::Feature(feat, ev) = &event.value {
            match ev {
                event::Feature::Scenario(sc, retryable) => {
                    self.scenario(feat, None, sc, &retryable.event, at)
                }
                event::Feature::Rule(rule, event::Rule::Scenario(sc, retryable)) => {
                    self.scenario(feat, Some(rule), sc, &retryable.event, at)
                }
                _ => {}
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The run judged against the profile's expected failures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// Failed, and listed: (scenario key, the listed reason).
    pub expected: Vec<(ScenarioKey, String)>,
    /// Failed, and not listed.
    pub new_failures: Vec<ScenarioKey>,
    /// Listed, ran, and passed: to be removed from the list.
    pub now_passing: Vec<ExpectedFailure>,
    /// Listed, and not run this time (not selected, or skipped).
    pub not_run: Vec<ExpectedFailure>,
}

impl Verdict {
    /// Judges `records` against `expected`.
    pub fn of(records: &[ScenarioRecord], expected: &[ExpectedFailure]) -> Self {
        let matches = |f: &ExpectedFailure, r: &ScenarioRecord| {
            f.scenario == r.name()
                && f.example
                    .as_ref()
                    .is_none_or(|e| r.steps_text().contains(e.as_str()))
        };
        let mut v = Self::default();
        for r in records.iter().filter(|r| r.failed()) {
            match expected.iter().find(|f| matches(f, r)) {
                Some(f) => v.expected.push((r.key.clone(), f.reason.clone())),
                None => v.new_failures.push(r.key.clone()),
            }
        }
        for f in expected {
            let ran: Vec<&ScenarioRecord> = records.iter().filter(|r| matches(f, r)).collect();
            if ran.is_empty() {
                v.not_run.push(f.clone());
            } else if ran.iter().all(|r| !r.failed()) {
                v.now_passing.push(f.clone());
            }
        }
        v
    }

    /// Green: nothing failed but what is listed, and nothing listed passed.
    pub fn passed(&self) -> bool {
        self.new_failures.is_empty() && self.now_passing.is_empty()
    }

    /// The reason a scenario is expected to fail, if it is listed and failed.
    pub fn expected_reason(&self, key: &ScenarioKey) -> Option<&str> {
        self.expected
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, line: usize, step: &str, failed: bool) -> ScenarioRecord {
        ScenarioRecord {
            key: ("F".into(), name.into(), line),
            file: String::new(),
            tags: Vec::new(),
            steps: vec![StepRecord {
                text: step.into(),
                status: if failed {
                    StepStatus::Failed
                } else {
                    StepStatus::Passed
                },
                error: None,
                ms: None,
            }],
            hook_error: None,
            evidence: Evidence::default(),
            started: None,
        }
    }

    fn listed(name: &str, example: Option<&str>) -> ExpectedFailure {
        ExpectedFailure {
            scenario: name.into(),
            example: example.map(str::to_owned),
            reason: "because".into(),
        }
    }

    #[test]
    fn exactly_the_listed_failures_is_green() {
        let runs = [record("a", 1, "x", true), record("b", 2, "y", false)];
        let v = Verdict::of(&runs, &[listed("a", None)]);
        assert!(v.passed(), "{v:?}");
        assert_eq!(
            v.expected_reason(&("F".into(), "a".into(), 1)),
            Some("because")
        );
    }

    #[test]
    fn a_new_failure_is_red() {
        let runs = [record("a", 1, "x", true), record("b", 2, "y", true)];
        let v = Verdict::of(&runs, &[listed("a", None)]);
        assert!(!v.passed());
        assert_eq!(v.new_failures, [("F".to_owned(), "b".to_owned(), 2)]);
    }

    #[test]
    fn a_listed_scenario_that_passes_is_red_until_removed() {
        let runs = [record("a", 1, "x", false)];
        let v = Verdict::of(&runs, &[listed("a", None), listed("gone", None)]);
        assert!(!v.passed());
        assert_eq!(v.now_passing, [listed("a", None)]);
        assert_eq!(v.not_run, [listed("gone", None)]);
        assert!(Verdict::of(&runs, &[listed("gone", None)]).passed());
    }

    #[test]
    fn an_outline_row_is_picked_by_its_example() {
        let runs = [
            record("rules", 10, "Then I see \"do not match\"", true),
            record("rules", 11, "Then I see \"too common\"", false),
        ];
        assert!(Verdict::of(&runs, &[listed("rules", Some("do not match"))]).passed());
        let v = Verdict::of(&runs, &[listed("rules", Some("too common"))]);
        assert!(!v.passed());
        assert_eq!(v.new_failures.len(), 1);
        assert_eq!(v.now_passing.len(), 1);
    }
}
