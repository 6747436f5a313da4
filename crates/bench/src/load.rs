//! The load driver: N concurrent clients, each doing operations back to back (closed loop)
//! until the total is reached; the latency of every operation and the wall time.

use serde_json::{json, Value};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Run {
    pub latencies: Vec<Duration>,
    pub wall: Duration,
}

/// Runs `total` operations over `clients` concurrent workers. `op(worker, n)` is the n-th
/// operation of that worker.
pub async fn drive<F, Fut>(clients: usize, total: usize, op: F) -> anyhow::Result<Run>
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..clients {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut n = 0;
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t = Instant::now();
                op(worker, n).await?;
                mine.push(t.elapsed());
                n += 1;
            }
            anyhow::Ok(mine)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for t in tasks {
        latencies.extend(t.await??);
    }
    Ok(Run {
        latencies,
        wall: started.elapsed(),
    })
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Run {
    /// `{count, p50_ms, p99_ms, max_ms, <rate_name>}`.
    pub fn summary(&self, rate_name: &str) -> Value {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rate = sorted.len() as f64 / self.wall.as_secs_f64().max(1e-9);
        let mut v = json!({
            "count": sorted.len(),
            "p50_ms": round(percentile(&sorted, 50.0)),
            "p99_ms": round(percentile(&sorted, 99.0)),
            "max_ms": round(sorted.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)),
            "seconds": round(self.wall.as_secs_f64()),
        });
        v[rate_name] = json!(round(rate));
        v
    }
}
