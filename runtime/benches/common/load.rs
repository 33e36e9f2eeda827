//! The load generator the HTTP benchmarks share: `concurrency` keep-alive connections POST one
//! body until a deadline, counting 201s and their latencies.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// Most requests one measured run may send, whatever its duration.
const MAX_REQUESTS_PER_RUN: usize = 2_000_000;
/// How many failed responses to print per run.
const FAILURE_SAMPLES: usize = 5;

/// One measured run against one server at one concurrency.
#[derive(Default)]
pub struct Run {
    pub ok: usize,
    pub failures: usize,
    pub failure_samples: Vec<String>,
    pub elapsed: Duration,
    /// Latencies of the 201 responses, sorted.
    pub latencies: Vec<Duration>,
}

impl Run {
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (p / 100.0 * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }
}

#[derive(Default)]
struct TaskResult {
    ok: usize,
    failures: usize,
    failure_samples: Vec<String>,
    latencies: Vec<Duration>,
}

/// `concurrency` tasks, each on its own keep-alive connection, POST `body` to `url` until
/// `duration` has passed (or the request budget is spent).
pub async fn load(client: &reqwest::Client, url: &str, body: &Bytes, concurrency: usize, duration: Duration) -> Run {
    let budget = Arc::new(AtomicUsize::new(MAX_REQUESTS_PER_RUN));
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, body, budget) = (client.clone(), url.to_string(), body.clone(), budget.clone());
            tokio::spawn(async move {
                let mut r = TaskResult { latencies: Vec::with_capacity(16_384), ..TaskResult::default() };
                while Instant::now() < deadline
                    && budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
                {
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    let failure = match response {
                        Ok(response) => {
                            let status = response.status();
                            match response.bytes().await {
                                Ok(_) if status == reqwest::StatusCode::CREATED => None,
                                Ok(text) => Some(format!("{status}: {}", String::from_utf8_lossy(&text))),
                                Err(e) => Some(format!("{status}, then reading the body failed: {e}")),
                            }
                        }
                        Err(e) => Some(format!("request failed: {e}")),
                    };
                    match failure {
                        None => {
                            r.ok += 1;
                            r.latencies.push(sent.elapsed());
                        }
                        Some(f) => {
                            r.failures += 1;
                            if r.failure_samples.len() < FAILURE_SAMPLES {
                                r.failure_samples.push(f);
                            }
                        }
                    }
                }
                r
            })
        })
        .collect();
    let mut run = Run::default();
    for task in tasks {
        match task.await {
            Ok(r) => {
                run.ok += r.ok;
                run.failures += r.failures;
                run.failure_samples.extend(r.failure_samples);
                run.latencies.extend(r.latencies);
            }
            Err(e) => {
                run.failures += 1;
                run.failure_samples.push(format!("a load task panicked: {e}"));
            }
        }
    }
    run.elapsed = start.elapsed();
    run.latencies.sort_unstable();
    run.failure_samples.truncate(FAILURE_SAMPLES);
    run
}
