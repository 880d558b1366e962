//! Argon2id on a pool of dedicated threads: infrastructure, not domain. Hashing and
//! verifying cost tens of milliseconds of CPU and memory each, so they never run on the
//! async workers, their queue is bounded, and unknown accounts are checked against a
//! dummy hash so that both cost the same.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;

use crate::domain::{HashError, Password, PasswordHash};

/// The algorithm of new hashes.
const ALGORITHM: Algorithm = Algorithm::Argon2id;
/// The Argon2 version of new hashes.
const VERSION: Version = Version::V0x13;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Wrong password, or no such account (checked against a dummy hash).
    Mismatch,
    /// Right password; `needs_rehash` when the stored hash used other parameters.
    Match {
        /// The stored hash should be replaced by one with the current parameters.
        needs_rehash: bool,
    },
}

/// Hashes and verifies passwords with Argon2id on a fixed pool of `max_concurrent`
/// dedicated threads (`argon2-0`, `argon2-1`, …), never on the async workers. Each
/// thread owns one Argon2 memory buffer (`m` KiB) for its whole life, so a burst of
/// log-ins queues instead of allocating (and page-faulting) `m` KiB per hash, and the
/// memory stays at `max_concurrent × m` KiB (a thread that verifies a stored hash with
/// a larger `m` grows its buffer and keeps it). The threads end when the last clone of
/// the hasher is dropped.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    jobs: SyncSender<Job>,
    dummy: PasswordHash,
}

/// Work for a pool thread, run in that thread's memory.
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

impl PasswordHasher {
    /// Builds the hasher, starts its threads and computes the dummy hash verified for
    /// unknown accounts, so that a log-in costs the same whether the account exists or
    /// not. At most `max_queued` jobs wait for a thread; past that, [`HashError::Busy`].
    pub async fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        max_concurrent: usize,
        max_queued: usize,
    ) -> Result<Self, HashError> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| HashError::Argon2(e.to_string()))?;
        let (jobs, queue) = mpsc::sync_channel::<Job>(max_queued.max(1));
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..max_concurrent.max(1) {
            let queue = Arc::clone(&queue);
            thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || serve(&queue, Memory::empty()))
                .map_err(|e| HashError::Join(format!("cannot start an Argon2 thread: {e}")))?;
        }
        let mut hasher = Self {
            params,
            jobs,
            dummy: PasswordHash::computed(String::new()),
        };
        let dummy_password =
            crate::domain::SecretToken::generate().map_err(|e| HashError::Argon2(e.to_string()))?;
        hasher.dummy = hasher
            .hash(&Password::for_verification(dummy_password.expose()))
            .await?;
        Ok(hasher)
    }

    /// Runs `work` on a pool thread, in its memory, and waits for the answer. A panic
    /// in `work` is answered as [`HashError::Join`] and leaves the thread serving. Work
    /// still queued when its caller has gone away is skipped.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            if answer.is_closed() {
                return;
            }
            let result = panic::catch_unwind(AssertUnwindSafe(|| work(memory)))
                .unwrap_or_else(|panic| Err(HashError::Join(panic_message(panic.as_ref()))));
            // The caller may have gone away meanwhile; nobody is left to tell.
            let _ = answer.send(result);
        });
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => HashError::Busy,
            TrySendError::Disconnected(_) => {
                HashError::Join("the Argon2 threads have stopped".to_owned())
            }
        })?;
        answered
            .await
            .map_err(|_| HashError::Join("an Argon2 thread dropped the job".to_owned()))?
    }

    /// Hashes with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let secret = SecretString::from(password.expose().to_owned());
        let params = self.params.clone();
        self.run(move |memory| {
            let argon2_error = |e: argon2::password_hash::Error| HashError::Argon2(e.to_string());
            let salt = argon2::password_hash::try_generate_salt()
                .map_err(|e| HashError::Argon2(e.to_string()))?;
            let salt = Salt::new(&salt).map_err(|e| argon2_error(e.into()))?;
            let output = memory
                .hash(
                    &Argon2::new(ALGORITHM, VERSION, params.clone()),
                    secret.expose_secret().as_bytes(),
                    &salt,
                )
                .map_err(argon2_error)?;
            let phc = argon2::PasswordHash {
                algorithm: ALGORITHM.ident(),
                version: Some(VERSION.into()),
                params: ParamsString::try_from(&params).map_err(argon2_error)?,
                salt: Some(salt),
                hash: Some(output),
            };
            Ok(PasswordHash::computed(phc.to_string()))
        })
        .await
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no
    /// account (same cost, always [`Verification::Mismatch`]).
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&PasswordHash>,
    ) -> Result<Verification, HashError> {
        let exists = stored.is_some();
        let phc = stored.unwrap_or(&self.dummy).as_str().to_owned();
        let secret = SecretString::from(password.expose().to_owned());
        let current = self.params.clone();
        self.run(move |memory| {
            let parsed =
                argon2::PasswordHash::new(&phc).map_err(|e| HashError::Invalid(e.to_string()))?;
            // As `argon2::PasswordVerifier`: a hash that cannot be recomputed (unknown
            // algorithm, bad parameters, …) is a mismatch, not an error.
            let ok = memory
                .matches(&parsed, secret.expose_secret().as_bytes())
                .unwrap_or(false);
            if !(ok && exists) {
                return Ok(Verification::Mismatch);
            }
            let same_params = parsed.algorithm.as_str() == "argon2id"
                && Params::try_from(&parsed).is_ok_and(|p| {
                    p.m_cost() == current.m_cost()
                        && p.t_cost() == current.t_cost()
                        && p.p_cost() == current.p_cost()
                });
            Ok(Verification::Match {
                needs_rehash: !same_params,
            })
        })
        .await
    }
}

/// Niceness of the pool threads (Linux): Argon2 is the deliberate cost of a log-in and
/// must not starve the async runtime. With every core hashing, the runtime's threads
/// (nice 0) still get the CPU first for page loads and recovery requests; with nothing
/// else to run, hashing has it all.
const POOL_NICE: i32 = 10;

/// Lowers the calling thread's priority to [`POOL_NICE`] where the OS allows it.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), POOL_NICE)
    {
        tracing::warn!(error = %e, "could not lower the priority of an Argon2 thread");
    }
}

/// A pool thread: runs jobs in its own `memory` until every sender is dropped.
fn serve(queue: &Mutex<Receiver<Job>>, mut memory: Memory) {
    lower_priority();
    loop {
        // The guard is dropped at the end of the statement: the job runs unlocked.
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match next {
            Ok(job) => job(&mut memory),
            Err(mpsc::RecvError) => return,
        }
    }
}

/// The text of a caught panic.
fn panic_message(panic: &(dyn Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    format!("Argon2 thread panicked: {message}")
}

/// One pool thread's Argon2 memory, reused by every hash it computes.
struct Memory {
    blocks: Vec<Block>,
}

impl Memory {
    /// No memory yet: a thread takes its buffer on its first hash, so an idle portal
    /// holds none for the threads that never ran.
    fn empty() -> Self {
        Self { blocks: Vec::new() }
    }

    /// Makes room for at least `blocks` blocks. A larger buffer replaces the old one
    /// (whose contents do not matter) and is kept for later hashes.
    fn grow(&mut self, blocks: usize) -> Result<(), argon2::Error> {
        if self.blocks.len() < blocks {
            self.blocks = Vec::new();
            self.blocks
                .try_reserve_exact(blocks)
                .map_err(|_| argon2::Error::OutOfMemory)?;
            self.blocks.resize(blocks, Block::new());
        }
        Ok(())
    }

    /// Runs `argon2` (with its algorithm, version and parameters, including the output
    /// length, 32 bytes by default) on `password` and `salt` in this memory.
    fn hash(
        &mut self,
        argon2: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
    ) -> argon2::password_hash::Result<Output> {
        let blocks = argon2.params().block_count();
        self.grow(blocks)?;
        let length = argon2
            .params()
            .output_len()
            .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let mut buffer = [0_u8; Output::MAX_LENGTH];
        let out = buffer
            .get_mut(..length)
            .ok_or(argon2::password_hash::Error::OutputSize)?;
        argon2.hash_password_into_with_memory(password, salt, out, &mut self.blocks[..blocks])?;
        Ok(Output::new(out)?)
    }

    /// Recomputes `stored` (its algorithm, version, parameters, salt and length) for
    /// `password` and compares the outputs in constant time.
    fn matches(
        &mut self,
        stored: &argon2::PasswordHash,
        password: &[u8],
    ) -> argon2::password_hash::Result<bool> {
        let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(stored.algorithm.as_str())?;
        let version = stored
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let params = Params::try_from(stored)?;
        let computed = self.hash(&Argon2::new(algorithm, version, params), password, salt)?;
        // `Output`'s `PartialEq` is constant-time.
        Ok(computed == *expected)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_with_owasp_parameters() {
        let h = PasswordHasher::new(19456, 2, 1, 2, 1024).await.unwrap();
        let hash = h
            .hash(&Password::for_verification("velvet-tundra-orbit"))
            .await
            .unwrap();
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_str()
        );
        assert!(PasswordHash::parse(hash.as_str()).is_ok());
    }

    #[tokio::test]
    async fn verification_matches_only_the_right_password() {
        let h = PasswordHasher::new(19456, 2, 1, 2, 1024).await.unwrap();
        let hash = h
            .hash(&Password::for_verification("velvet-tundra-orbit"))
            .await
            .unwrap();
        let right = h
            .verify(
                &Password::for_verification("velvet-tundra-orbit"),
                Some(&hash),
            )
            .await
            .unwrap();
        assert_eq!(
            right,
            Verification::Match {
                needs_rehash: false
            }
        );
        let wrong = h
            .verify(
                &Password::for_verification("velvet-tundra-orbiT"),
                Some(&hash),
            )
            .await
            .unwrap();
        assert_eq!(wrong, Verification::Mismatch);
        let none = h
            .verify(&Password::for_verification("velvet-tundra-orbit"), None)
            .await
            .unwrap();
        assert_eq!(none, Verification::Mismatch);
    }

    #[tokio::test]
    async fn a_hash_with_other_parameters_asks_for_a_rehash() {
        let old = PasswordHasher::new(8192, 1, 1, 2, 1024).await.unwrap();
        let hash = old
            .hash(&Password::for_verification("velvet-tundra-orbit"))
            .await
            .unwrap();
        let current = PasswordHasher::new(19456, 2, 1, 2, 1024).await.unwrap();
        let v = current
            .verify(
                &Password::for_verification("velvet-tundra-orbit"),
                Some(&hash),
            )
            .await
            .unwrap();
        assert_eq!(v, Verification::Match { needs_rehash: true });
    }

    /// Hashes `password` with `argon2`'s own API (as every hash stored before the pool).
    fn crate_hash(
        algorithm: Algorithm,
        version: Version,
        params: Params,
        password: &str,
    ) -> PasswordHash {
        use argon2::PasswordHasher as _;
        let phc = Argon2::new(algorithm, version, params)
            .hash_password(password.as_bytes())
            .unwrap();
        PasswordHash::parse(&phc.to_string()).unwrap()
    }

    #[tokio::test]
    async fn hashes_of_the_crate_and_of_the_pool_are_interchangeable() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let h = PasswordHasher::new(19456, 2, 1, 2, 1024).await.unwrap();
        let right = Password::for_verification("velvet-tundra-orbit");
        let wrong = Password::for_verification("velvet-tundra-orbiT");

        // Crate → pool, with the current parameters and with older ones.
        let current = Params::new(19456, 2, 1, None).unwrap();
        let old = crate_hash(ALGORITHM, VERSION, current, right.expose());
        assert_eq!(
            h.verify(&right, Some(&old)).await.unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            h.verify(&wrong, Some(&old)).await.unwrap(),
            Verification::Mismatch
        );
        let legacy = Params::new(4096, 3, 2, Some(16)).unwrap();
        let legacy = crate_hash(Algorithm::Argon2i, Version::V0x10, legacy, right.expose());
        assert!(legacy.as_str().starts_with("$argon2i$v=16$m=4096,t=3,p=2$"));
        assert_eq!(
            h.verify(&right, Some(&legacy)).await.unwrap(),
            Verification::Match { needs_rehash: true }
        );
        assert_eq!(
            h.verify(&wrong, Some(&legacy)).await.unwrap(),
            Verification::Mismatch
        );

        // Pool → crate: the crate verifies it and, with the same salt, writes the very
        // same string.
        let new = h.hash(&right).await.unwrap();
        let parsed = argon2::PasswordHash::new(new.as_str()).unwrap();
        let argon2 = Argon2::new(ALGORITHM, VERSION, Params::new(19456, 2, 1, None).unwrap());
        assert!(
            argon2
                .verify_password(right.expose().as_bytes(), &parsed)
                .is_ok()
        );
        assert!(
            argon2
                .verify_password(wrong.expose().as_bytes(), &parsed)
                .is_err()
        );
        let salt = parsed.salt.unwrap();
        let again = argon2
            .hash_password_with_salt(right.expose().as_bytes(), &salt)
            .unwrap();
        assert_eq!(again.to_string(), new.as_str());
        assert_eq!(parsed.hash.unwrap().len(), 32);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_concurrent_verifications_all_get_their_own_answer() {
        let h = PasswordHasher::new(19456, 2, 1, 2, 1024).await.unwrap();
        let passwords = [
            "velvet-tundra-orbit",
            "amber-glacier-comet",
            "quiet-harbor-lumen",
        ];
        let mut hashes = Vec::new();
        for p in passwords {
            hashes.push(h.hash(&Password::for_verification(p)).await.unwrap());
        }
        let mut checks = tokio::task::JoinSet::new();
        for i in 0..16 {
            let h = h.clone();
            let stored = hashes[i % 3].clone();
            // Right password, another account's password, or no account at all.
            let (typed, expected) = match i % 4 {
                0 | 1 => (
                    passwords[i % 3],
                    Verification::Match {
                        needs_rehash: false,
                    },
                ),
                2 => (passwords[(i + 1) % 3], Verification::Mismatch),
                _ => (passwords[i % 3], Verification::Mismatch),
            };
            let exists = i % 4 != 3;
            checks.spawn(async move {
                let got = h
                    .verify(
                        &Password::for_verification(typed),
                        exists.then_some(&stored),
                    )
                    .await
                    .unwrap();
                (i, got, expected)
            });
        }
        let mut answered = 0;
        while let Some(result) = checks.join_next().await {
            let (i, got, expected) = result.unwrap();
            assert_eq!(got, expected, "verification {i}");
            answered += 1;
        }
        assert_eq!(answered, 16);
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_instead_of_growing() {
        let h = PasswordHasher::new(8192, 1, 1, 1, 1).await.unwrap();
        let pw = Password::for_verification("velvet-tundra-orbit");
        // Ten hashes at once on one thread with room for one waiting job: the first
        // polls enqueue synchronously, so most of them find the queue full.
        let results = futures::future::join_all((0..10).map(|_| h.hash(&pw))).await;
        let busy = results
            .iter()
            .filter(|r| matches!(r, Err(HashError::Busy)))
            .count();
        let done = results.iter().filter(|r| r.is_ok()).count();
        assert!(busy >= 7, "{busy} busy");
        assert!(done >= 1, "{done} done");
        // Once the queue drains, hashing works again.
        assert!(h.hash(&pw).await.is_ok());
    }

    #[tokio::test]
    async fn a_hash_needing_more_memory_than_configured_still_verifies() {
        let h = PasswordHasher::new(8192, 1, 1, 1, 1024).await.unwrap();
        let bigger = crate_hash(
            ALGORITHM,
            VERSION,
            Params::new(32768, 1, 1, None).unwrap(),
            "velvet-tundra-orbit",
        );
        let right = Password::for_verification("velvet-tundra-orbit");
        let wrong = Password::for_verification("velvet-tundra-orbiT");
        assert_eq!(
            h.verify(&right, Some(&bigger)).await.unwrap(),
            Verification::Match { needs_rehash: true }
        );
        assert_eq!(
            h.verify(&wrong, Some(&bigger)).await.unwrap(),
            Verification::Mismatch
        );
        // The grown buffer still serves the configured parameters.
        let own = h.hash(&right).await.unwrap();
        assert_eq!(
            h.verify(&right, Some(&own)).await.unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_runs_below_the_runtime_priority() {
        let h = PasswordHasher::new(8, 1, 1, 1, 1024).await.unwrap();
        let nice = h
            .run(|_| {
                rustix::process::getpriority_process(Some(rustix::thread::gettid()))
                    .map_err(|e| HashError::Argon2(e.to_string()))
            })
            .await
            .unwrap();
        let ours = rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        assert!(nice > ours, "pool nice {nice}, runtime nice {ours}");
    }

    #[tokio::test]
    async fn a_panicking_job_is_answered_and_its_thread_keeps_serving() {
        let h = PasswordHasher::new(8192, 1, 1, 1, 1024).await.unwrap();
        let failed = h
            .run(|_: &mut Memory| -> Result<(), HashError> { panic!("boom") })
            .await;
        assert!(
            matches!(&failed, Err(HashError::Join(m)) if m.contains("boom")),
            "{failed:?}"
        );
        let thread = h
            .run(|_: &mut Memory| Ok(thread::current().name().map(str::to_owned)))
            .await
            .unwrap();
        assert_eq!(thread.as_deref(), Some("argon2-0"));
        let hash = h
            .hash(&Password::for_verification("velvet-tundra-orbit"))
            .await
            .unwrap();
        assert_eq!(
            h.verify(
                &Password::for_verification("velvet-tundra-orbit"),
                Some(&hash)
            )
            .await
            .unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
    }

    #[tokio::test]
    async fn the_threads_end_with_the_last_clone_of_the_hasher() {
        /// Signals when dropped, i.e. when the thread holding it in a thread-local ends.
        struct OnExit(mpsc::Sender<()>);
        impl Drop for OnExit {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        thread_local! {
            static ON_EXIT: std::cell::RefCell<Option<OnExit>> = const { std::cell::RefCell::new(None) };
        }

        let h = PasswordHasher::new(8192, 1, 1, 1, 1024).await.unwrap();
        let (exited, on_exit) = mpsc::channel();
        h.run(move |_: &mut Memory| {
            ON_EXIT.with(|slot| *slot.borrow_mut() = Some(OnExit(exited)));
            Ok(())
        })
        .await
        .unwrap();
        let clone = h.clone();
        drop(h);
        assert!(on_exit.recv_timeout(Duration::from_millis(200)).is_err());
        drop(clone);
        assert!(on_exit.recv_timeout(Duration::from_secs(10)).is_ok());
    }
}
