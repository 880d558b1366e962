//! Runs the features: picks the target, starts what it needs, tees the console report
//! into JUnit XML and cucumber JSON, and ends with a summary that names every failed step
//! and what the page showed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use cucumber::event::ScenarioFinished;
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::writer::{self, Stats as _};
use cucumber::{World as _, WriterExt as _, cli, gherkin};
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;

use crate::chromedriver::ChromeDriver;
use crate::cli::Options;
use crate::profile::{Profile, Rules};
use crate::report::RunInfo;
use crate::results::{Recorder, Verdict};
use crate::stack::{Stack, StackKind};
use crate::world::{PortalWorld, Suite, Target};

/// Scenarios with this tag need control over the portal (its clock, its default limits).
pub const IN_PROCESS_TAG: &str = "in-process";
/// Scenarios with this tag send what a real browser's form validation never sends.
pub const NOT_IN_BROWSER_TAG: &str = "not-in-browser";
/// Why a scenario of a rule the profile does not claim is skipped.
pub const NOT_CLAIMED: &str = "not claimed";

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Whether exactly the profile's expected failures failed (and nothing else).
    pub passed: bool,
    /// Scenarios that ran (outline rows counted once per outline).
    pub scenarios_run: usize,
    /// Scenarios left out, with the reason: `@in-process` ones on an external target,
    /// `@not-in-browser` ones in browser mode.
    pub skipped: Vec<String>,
    /// One line per failed step of the scenarios not listed as expected failures.
    pub failures: Vec<String>,
    /// The listed scenarios that failed, each with its reason.
    pub expected_failures: Vec<String>,
    /// The listed scenarios that passed: to be removed from the list.
    pub now_passing: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

impl Report {
    /// 0 when green, 1 otherwise.
    pub fn exit_code(&self) -> std::process::ExitCode {
        if self.passed {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the suite as `options` say.
pub async fn run(options: Options) -> anyhow::Result<Report> {
    let started = Instant::now();
    let out_dir = options.out_dir();
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let features = options.features_dir();
    anyhow::ensure!(
        features.is_dir(),
        "no features directory at {} (use --features DIR)",
        features.display()
    );
    let profile = options.load_profile()?;
    let selection = Selection::new(&options, &profile)?;
    let target = start_target(&options).await?;
    let driver = match options.browser {
        true => Some(ChromeDriver::start().await?),
        false => None,
    };
    let mode = if options.browser {
        "Chromium (WebDriver)"
    } else {
        "HTTP"
    };
    println!(
        "Conformance suite: {} (profile {:?}), {mode}, features from {}",
        target.description,
        profile.name,
        features.display()
    );
    let description = target.description;
    let suite = Arc::new(Suite::new(
        target.target,
        driver.as_ref().map(|d| d.url().to_owned()),
        out_dir.clone(),
        profile,
    )?);
    let recorder = Recorder::default();
    let parsing_failed = suite
        .clone()
        .scope(run_features(&options, &features, &selection, &recorder))
        .await?;
    if let Some(d) = driver {
        d.stop().await;
    }
    let expected = suite.profile.expected_failures.clone();
    let profile_line = format!("{} — {}", suite.profile.name, suite.profile.description);
    stop_shared_stack(suite).await;

    let records = recorder.records();
    let verdict = Verdict::of(&records, &expected);
    let report = Report {
        passed: !parsing_failed && verdict.passed(),
        scenarios_run: selection.selected(),
        skipped: selection.skipped(),
        failures: records
            .iter()
            .filter(|r| verdict.new_failures.contains(&r.key))
            .flat_map(|r| r.failure_lines())
            .collect(),
        expected_failures: verdict
            .expected
            .iter()
            .map(|((f, s, l), reason)| format!("{f} › {s} (line {l}) — {reason}"))
            .collect(),
        now_passing: verdict
            .now_passing
            .iter()
            .map(|f| f.scenario.clone())
            .collect(),
        elapsed: started.elapsed(),
    };
    let info = RunInfo {
        target: description,
        profile: profile_line,
        mode: mode.to_owned(),
        finished: portal::clock::Clock::now(&portal::clock::SystemClock)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        seconds: report.elapsed.as_secs_f64(),
        passed: report.passed,
    };
    let page = crate::report::html(&info, &records, &verdict, &report.skipped);
    let path = out_dir.join("report.html");
    std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
    for t in records.iter().flat_map(|r| &r.evidence.timings) {
        println!("Timing: {t}");
    }
    print_summary(&report, &out_dir);
    Ok(report)
}

/// The run's target, and how to name it in the banner.
struct StartedTarget {
    target: Target,
    description: String,
}

/// The deployed portal the options name, or an in-process stack started for the run.
async fn start_target(options: &Options) -> anyhow::Result<StartedTarget> {
    if let (Some(base), Some(sink)) = (&options.base_url, &options.sink_url) {
        let sink_url = sink.as_str().trim_end_matches('/').to_owned();
        return Ok(StartedTarget {
            description: format!("{base} (mail: {sink_url})"),
            target: Target::External {
                base_url: base.clone(),
                sink_url,
            },
        });
    }
    let started = Instant::now();
    let stack = Stack::start(StackKind::Shared)
        .await
        .context("starting the in-process portal")?;
    Ok(StartedTarget {
        description: format!(
            "in-process portal at {} (portal, fresh {} database and sink started in {} ms)",
            stack.base_url(),
            stack.database_kind(),
            started.elapsed().as_millis()
        ),
        target: Target::Shared(Arc::new(stack)),
    })
}

/// Stops the in-process stack the scenarios shared, once nothing else holds it.
async fn stop_shared_stack(suite: Arc<Suite>) {
    if let Ok(suite) = Arc::try_unwrap(suite)
        && let Target::Shared(stack) = suite.target
        && let Ok(stack) = Arc::try_unwrap(stack)
    {
        stack.stop().await;
    }
}

/// Runs the selected scenarios with the console, JUnit and JSON writers and the
/// recorder of results; true if a feature could not be parsed.
async fn run_features(
    options: &Options,
    features: &Path,
    selection: &Selection,
    recorder: &Recorder,
) -> anyhow::Result<bool> {
    let out_dir = options.out_dir();
    let junit = File::create(out_dir.join("junit.xml")).context("creating junit.xml")?;
    let json = File::create(out_dir.join("cucumber.json")).context("creating cucumber.json")?;
    let concurrency = options
        .concurrency
        .unwrap_or(if options.browser { 4 } else { 16 });
    let selection = selection.clone();
    let writer = PortalWorld::cucumber()
        .max_concurrent_scenarios(concurrency)
        .before(before_scenario)
        .after({
            let recorder = recorder.clone();
            move |feat, rule, sc, finished, world| {
                after_scenario(recorder.clone(), feat, rule, sc, finished, world)
            }
        })
        .with_writer(
            writer::Basic::raw(std::io::stdout(), writer::Coloring::Auto, 0)
                .summarized()
                .tee::<PortalWorld, _>(writer::JUnit::for_tee(junit, 0))
                .tee::<PortalWorld, _>(writer::Json::for_tee(json))
                .tee::<PortalWorld, _>(
                    recorder
                        .clone()
                        .discard_stats_writes()
                        .discard_arbitrary_writes(),
                )
                .normalized(),
        )
        .fail_on_skipped()
        .with_cli(cli::Opts::<_, _, _, cli::Empty>::default())
        .filter_run(features, move |feat, rule, sc| {
            selection.admits(feat, rule, sc)
        })
        .await;
    Ok(writer.parsing_errors() > 0)
}

/// Which scenarios run: those the tag expression and the name filter pick, minus those
/// the target or the browser cannot run (kept, with the reason, for the summary).
#[derive(Debug, Clone)]
struct Selection {
    tags: Option<TagOperation>,
    name: Option<String>,
    external: bool,
    browser: bool,
    rules: Rules,
    languages: Vec<String>,
    selected: Arc<Mutex<usize>>,
    skipped: Arc<Mutex<Vec<String>>>,
}

impl Selection {
    fn new(options: &Options, profile: &Profile) -> anyhow::Result<Self> {
        let tags = options
            .tags
            .as_deref()
            .map(|t| {
                t.parse::<TagOperation>()
                    .map_err(|e| anyhow::anyhow!("bad tag expression {t:?}: {e}"))
            })
            .transpose()?;
        Ok(Self {
            tags,
            name: options.name.as_ref().map(|n| n.to_lowercase()),
            external: options.is_external(),
            browser: options.browser,
            rules: profile.rules.clone(),
            languages: profile.languages().map(str::to_owned).collect(),
            selected: Arc::default(),
            skipped: Arc::default(),
        })
    }

    /// Whether the scenario runs; counts it as selected or skipped.
    fn admits(
        &self,
        feat: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        sc: &gherkin::Scenario,
    ) -> bool {
        if let Some(t) = &self.tags
            && !t.eval(tags_of(feat, rule, sc))
        {
            return false;
        }
        if let Some(n) = &self.name
            && !sc.name.to_lowercase().contains(n)
        {
            return false;
        }
        if let Some(reason) = self.cannot_run(feat, rule, sc) {
            lock(&self.skipped).push(format!(
                "{} › {} (line {}) — {reason}",
                feat.name, sc.name, sc.position.line
            ));
            return false;
        }
        *lock(&self.selected) += 1;
        true
    }

    /// Why this run cannot run the scenario, if it cannot: the target or the browser
    /// cannot, the profile has no words in the feature's language, or the target does
    /// not claim a rule the scenario checks.
    fn cannot_run(
        &self,
        feat: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        sc: &gherkin::Scenario,
    ) -> Option<String> {
        let has = |tag| tags_of(feat, rule, sc).any(|t| t == tag);
        let language = feature_language(feat).unwrap_or_else(|| "en".into());
        let primary = language.split(['-', '_']).next().unwrap_or_default();
        let unclaimed = self.rules.unclaimed(tags_of(feat, rule, sc));
        if self.external && has(IN_PROCESS_TAG) {
            Some(
                "@in-process: an external target gives no control over the portal's clock or limits"
                    .into(),
            )
        } else if self.browser && has(NOT_IN_BROWSER_TAG) {
            Some("@not-in-browser: Chromium's own form validation never sends this".into())
        } else if !self
            .languages
            .iter()
            .any(|l| l.eq_ignore_ascii_case(primary))
        {
            Some(format!("the profile has no [texts.{language}]"))
        } else if !unclaimed.is_empty() {
            Some(format!("{NOT_CLAIMED}: @{}", unclaimed.join(", @")))
        } else {
            None
        }
    }

    fn selected(&self) -> usize {
        *lock(&self.selected)
    }

    fn skipped(&self) -> Vec<String> {
        lock(&self.skipped).clone()
    }
}

/// The tags of a scenario: its feature's, its rule's and its own.
fn tags_of<'a>(
    feat: &'a gherkin::Feature,
    rule: Option<&'a gherkin::Rule>,
    sc: &'a gherkin::Scenario,
) -> impl Iterator<Item = &'a String> + Clone {
    feat.tags
        .iter()
        .chain(rule.into_iter().flat_map(|r| r.tags.iter()))
        .chain(sc.tags.iter())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn print_summary(report: &Report, out_dir: &std::path::Path) {
    println!();
    println!(
        "Conformance: {} in {:.1}s, {} scenario(s) selected.",
        if report.passed { "PASSED" } else { "FAILED" },
        report.elapsed.as_secs_f64(),
        report.scenarios_run
    );
    if !report.skipped.is_empty() {
        println!("Skipped {} scenario(s):", report.skipped.len());
        for s in &report.skipped {
            println!("  - {s}");
        }
    }
    if !report.expected_failures.is_empty() {
        println!(
            "Failed as the profile expects ({}):",
            report.expected_failures.len()
        );
        for s in &report.expected_failures {
            println!("  ~ {s}");
        }
    }
    for s in &report.now_passing {
        println!("  ✘ now passes: remove it from the list: {s}");
    }
    if !report.failures.is_empty() {
        println!("Failed steps:");
        for f in &report.failures {
            println!("  ✘ {f}");
        }
    }
    println!(
        "Reports: {}, {} and {}",
        out_dir.join("report.html").display(),
        out_dir.join("junit.xml").display(),
        out_dir.join("cucumber.json").display()
    );
}

/// Makes the World speak the feature's language, and gives a scenario that needs
/// control over the portal a stack of its own.
fn before_scenario<'a>(
    feat: &'a gherkin::Feature,
    rule: Option<&'a gherkin::Rule>,
    sc: &'a gherkin::Scenario,
    world: &'a mut PortalWorld,
) -> LocalBoxFuture<'a, ()> {
    async move {
        if let Some(code) = feature_language(feat)
            && let Err(e) = world.speak(&code).await
        {
            panic!("setting up the scenario failed: {e:#}");
        }
        if tags_of(feat, rule, sc).any(|t| t == IN_PROCESS_TAG)
            && let Err(e) = world.use_private_stack().await
        {
            panic!("setting up the scenario failed: {e:#}");
        }
    }
    .boxed_local()
}

/// The language a feature is written in (its `# language:` line), if it says.
fn feature_language(feat: &gherkin::Feature) -> Option<String> {
    let source = std::fs::read_to_string(feat.path.as_ref()?).ok()?;
    crate::world::words::declared_language(&source)
}

/// Saves a screenshot of a failed page (browser mode), and keeps what the World gathered
/// for the report.
fn after_scenario<'a>(
    recorder: Recorder,
    feat: &'a gherkin::Feature,
    _rule: Option<&'a gherkin::Rule>,
    sc: &'a gherkin::Scenario,
    finished: &'a ScenarioFinished,
    world: Option<&'a mut PortalWorld>,
) -> LocalBoxFuture<'a, ()> {
    async move {
        let Some(world) = world else { return };
        let evidence = world.take_evidence().await;
        if matches!(finished, ScenarioFinished::StepFailed(..))
            && let Some(png) = &evidence.screenshot
        {
            let path =
                world
                    .out_dir()
                    .join(screenshot_name(&feat.name, &sc.name, sc.position.line));
            match std::fs::write(&path, png) {
                Ok(()) => println!("  screenshot of the failed page: {}", path.display()),
                Err(e) => eprintln!("  could not save {}: {e}", path.display()),
            }
        }
        recorder.keep_evidence(crate::results::key_of(feat, sc), evidence);
        world.detach().await;
    }
    .boxed_local()
}

/// `feature--scenario--line.png`, lower-case ASCII.
pub fn screenshot_name(feature: &str, scenario: &str, line: usize) -> PathBuf {
    let slug = |s: &str| {
        let s: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        s.split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-")
    };
    PathBuf::from(format!("{}--{}--{line}.png", slug(feature), slug(scenario)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screenshot_names_are_plain_file_names() {
        assert_eq!(
            screenshot_name("I know my password", "Change it: now!", 12),
            PathBuf::from("i-know-my-password--change-it-now--12.png")
        );
    }
}
