//! Runs the features: picks the target, starts what it needs, tees the console report
//! into JUnit XML and cucumber JSON, and ends with a summary that names every failed step
//! and what the page showed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use cucumber::event::{self, ScenarioFinished};
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::writer::{self, Stats as _};
use cucumber::{World as _, WriterExt as _, cli, gherkin, parser};
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;

use crate::chromedriver::ChromeDriver;
use crate::cli::Options;
use crate::profile::{Profile, Rules};
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
    /// Whether every selected scenario passed.
    pub passed: bool,
    /// Scenarios that ran (outline rows counted once per outline).
    pub scenarios_run: usize,
    /// Scenarios left out, with the reason: `@in-process` ones on an external target,
    /// `@not-in-browser` ones in browser mode.
    pub skipped: Vec<String>,
    /// One line per failed step.
    pub failures: Vec<String>,
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
    println!(
        "Conformance suite: {} (profile {:?}), {}, features from {}",
        target.description,
        profile.name,
        if options.browser {
            "Chromium (WebDriver)"
        } else {
            "HTTP"
        },
        features.display()
    );
    let suite = Arc::new(Suite::new(
        target.target,
        driver.as_ref().map(|d| d.url().to_owned()),
        out_dir.clone(),
        profile,
    )?);
    let failures = FailureLog::default();
    let execution_failed = suite
        .clone()
        .scope(run_features(&options, &features, &selection, &failures))
        .await?;
    if let Some(d) = driver {
        d.stop().await;
    }
    stop_shared_stack(suite).await;

    let failures = failures.lines();
    let report = Report {
        passed: !execution_failed && failures.is_empty(),
        scenarios_run: selection.selected(),
        skipped: selection.skipped(),
        failures,
        elapsed: started.elapsed(),
    };
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

/// Runs the selected scenarios with the console, JUnit and JSON writers and the failure
/// log; true if cucumber saw a failure.
async fn run_features(
    options: &Options,
    features: &Path,
    selection: &Selection,
    failures: &FailureLog,
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
        .after(after_scenario)
        .with_writer(
            writer::Basic::raw(std::io::stdout(), writer::Coloring::Auto, 0)
                .summarized()
                .tee::<PortalWorld, _>(writer::JUnit::for_tee(junit, 0))
                .tee::<PortalWorld, _>(writer::Json::for_tee(json))
                .tee::<PortalWorld, _>(
                    failures
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
    Ok(writer.execution_has_failed())
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
    if !report.failures.is_empty() {
        println!("Failed steps:");
        for f in &report.failures {
            println!("  ✘ {f}");
        }
    }
    println!(
        "Reports: {} and {}",
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

fn after_scenario<'a>(
    feat: &'a gherkin::Feature,
    _rule: Option<&'a gherkin::Rule>,
    sc: &'a gherkin::Scenario,
    finished: &'a ScenarioFinished,
    world: Option<&'a mut PortalWorld>,
) -> LocalBoxFuture<'a, ()> {
    async move {
        let Some(world) = world else { return };
        if matches!(finished, ScenarioFinished::StepFailed(..))
            && let Some(png) = world.screenshot().await
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

/// Collects one line per failed step (or failed hook) for the final summary.
#[derive(Debug, Clone, Default)]
struct FailureLog(Arc<Mutex<Vec<String>>>);

impl FailureLog {
    fn lines(&self) -> Vec<String> {
        lock(&self.0).clone()
    }

    fn scenario(
        &self,
        feat: &gherkin::Feature,
        sc: &gherkin::Scenario,
        ev: &event::Scenario<PortalWorld>,
    ) {
        let line = match ev {
            event::Scenario::Step(step, event::Step::Failed(_, _, _, err))
            | event::Scenario::Background(step, event::Step::Failed(_, _, _, err)) => format!(
                "{} › {} (line {}) › {}{} — {}",
                feat.name, sc.name, sc.position.line, step.keyword, step.value, err
            ),
            event::Scenario::Hook(_, event::Hook::Failed(_, info)) => format!(
                "{} › {} — set-up failed: {}",
                feat.name,
                sc.name,
                info.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| info.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default()
            ),
            _ => return,
        };
        lock(&self.0).push(line);
    }
}

impl writer::Writer<PortalWorld> for FailureLog {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<cucumber::Event<event::Cucumber<PortalWorld>>>,
        _cli: &Self::Cli,
    ) {
        let Ok(event) = event else { return };
        if let event::Cucumber::Feature(feat, ev) = &event.value {
            match ev {
                event::Feature::Scenario(sc, retryable) => {
                    self.scenario(feat, sc, &retryable.event)
                }
                event::Feature::Rule(_, event::Rule::Scenario(sc, retryable)) => {
                    self.scenario(feat, sc, &retryable.event)
                }
                _ => {}
            }
        }
    }
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
