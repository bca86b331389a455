//! The burst benchmark (issue 9, point 8): notifications through the real handler and real HTTP
//! to the loopback sink's `burst` mode (20 % rate limited with Retry-After: 1, 10 % 500, 1 % 404),
//! with SQS redelivery simulated in process: a queue that honours each message's visibility
//! (the queue's VisibilityTimeout, or what ChangeMessageVisibility set), counts receives, moves a
//! message received more than maxReceiveCount times to the DLQ (the redrive policy), and a DLQ the
//! notifier sends permanent errors to (NOTIFIER_DLQ_URL). Batches of 10, one at a time, each with
//! a 20 s deadline (the notifier's Lambda timeout). Backoff and visibility in seconds rather than
//! minutes, so the burst ends in about a minute; the counts do not depend on the scale.
//!
//! `burst_small` (60 notifications) runs with the tests and fails when an invariant breaks;
//! `burst_500` (`scripts/burst`) prints the figures.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_lambda_events::sqs::SqsMessage;
use ecs_rerun_lambda::test_util::{batch, failed_ids};
use ecs_rerun_lambda::{Deadline, run_batch};

use crate::adapters::SlackWebhook;
use crate::error::Error;
use crate::handler::{Backoff, Handler};
use crate::ports::Queue;
use crate::test_sink::{Sink, burst_token};

const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:ecs-rerun-notifier";
const VISIBILITY: Duration = Duration::from_secs(2);
const MAX_RECEIVES: u32 = 12;
const BATCH: usize = 10;
const LAMBDA_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug)]
struct Message {
    id: String,
    body: String,
    receives: u32,
    visible_at: Instant,
}

/// The simulated notifier queue and its DLQ.
#[derive(Default)]
struct SimQueue {
    messages: RefCell<Vec<Message>>,
    /// (message id, why): sent by the notifier, or moved by the redrive policy.
    dlq: RefCell<Vec<(String, String)>>,
}

impl Queue for SimQueue {
    async fn dead_letter(&self, record: &SqsMessage, error: &Error) -> Result<bool, Error> {
        self.dlq.borrow_mut().push((
            record.message_id.clone().unwrap_or_default(),
            error.error_type().to_owned(),
        ));
        Ok(true)
    }

    async fn delay(&self, record: &SqsMessage, delay: Duration) -> Result<(), Error> {
        let id = record.message_id.as_deref().unwrap_or_default();
        if let Some(m) = self.messages.borrow_mut().iter_mut().find(|m| m.id == id) {
            m.visible_at = Instant::now() + delay;
        }
        Ok(())
    }
}

/// What a burst measured.
#[derive(Debug)]
struct Figures {
    sent: usize,
    delivered: usize,
    dead_lettered: usize,
    lost: usize,
    permanent_retried: usize,
    rate_limited: usize,
    retry_after_broken: usize,
    min_retry_gap: Option<Duration>,
    posts: usize,
    batches: usize,
    wall: Duration,
}

async fn burst(n: u32) -> Figures {
    let sink = Sink::start().await;
    let url = sink.url("burst");
    let config =
        crate::config::Config::from_lookup(|k| (k == "SLACK_WEBHOOK_URL").then(|| url.clone()))
            .expect("valid config");
    let queue = SimQueue::default();
    let started = Instant::now();
    for i in 0..n {
        queue.messages.borrow_mut().push(Message {
            id: format!("msg-{i}"),
            body: format!("ECS task failed (burst-{i})"),
            receives: 0,
            visible_at: started,
        });
    }
    let handler = Handler::new(
        SlackWebhook::new(config.webhook.expect_url(), config.timeout).expect("client"),
        queue,
        config.timeout,
    )
    .with_backoff(Backoff {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(4),
    });
    let queue = handler.queue();
    let mut delivered = 0;
    let mut batches = 0;
    loop {
        // receive: the visible messages, oldest first, each receive counted; past
        // maxReceiveCount the redrive policy moves it to the DLQ instead
        let now = Instant::now();
        let mut records = Vec::new();
        {
            let mut messages = queue.messages.borrow_mut();
            if messages.is_empty() {
                break;
            }
            messages.retain_mut(|m| {
                if records.len() == BATCH || m.visible_at > now {
                    return true;
                }
                if m.receives == MAX_RECEIVES {
                    queue
                        .dlq
                        .borrow_mut()
                        .push((m.id.clone(), "redrive".into()));
                    return false;
                }
                m.receives += 1;
                m.visible_at = now + VISIBILITY;
                let mut r = SqsMessage::default();
                r.message_id = Some(m.id.clone());
                r.body = Some(m.body.clone());
                r.receipt_handle = Some(format!("rh-{}-{}", m.id, m.receives));
                r.event_source_arn = Some(QUEUE_ARN.into());
                r.attributes
                    .insert("ApproximateReceiveCount".into(), m.receives.to_string());
                records.push(r);
                true
            });
        }
        if records.is_empty() {
            let next = queue.messages.borrow().iter().map(|m| m.visible_at).min();
            if let Some(next) = next {
                tokio::time::sleep(next.saturating_duration_since(Instant::now())).await;
            }
            continue;
        }
        batches += 1;
        let ids: Vec<String> = records
            .iter()
            .filter_map(|r| r.message_id.clone())
            .collect();
        let resp = run_batch(&handler, batch(records), Deadline::after(LAMBDA_TIMEOUT)).await;
        let failed = failed_ids(&resp);
        // the event source mapping deletes what did not fail
        let done: Vec<&String> = ids
            .iter()
            .filter(|id| !failed.contains(&id.as_str()))
            .collect();
        let dlq_ids: Vec<String> = queue
            .dlq
            .borrow()
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        delivered += done.iter().filter(|id| !dlq_ids.contains(id)).count();
        queue
            .messages
            .borrow_mut()
            .retain(|m| !done.contains(&&m.id));
    }
    let wall = started.elapsed();

    // what the sink saw, per notification
    let posts = sink.posts();
    let mut by_token: HashMap<u32, Vec<(Instant, u16)>> = HashMap::new();
    for p in &posts {
        if let Some(t) = burst_token(&p.body) {
            by_token.entry(t).or_default().push((p.at, p.status));
        }
    }
    let mut permanent_retried = 0;
    let mut rate_limited = 0;
    let mut retry_after_broken = 0;
    let mut min_retry_gap: Option<Duration> = None;
    for seen in by_token.values() {
        if seen.iter().any(|(_, s)| *s == 404) && seen.len() > 1 {
            permanent_retried += 1;
        }
        for pair in seen.windows(2) {
            if pair[0].1 == 429 {
                rate_limited += 1;
                let gap = pair[1].0 - pair[0].0;
                if gap < Duration::from_secs(1) {
                    retry_after_broken += 1;
                }
                min_retry_gap = Some(min_retry_gap.map_or(gap, |g| g.min(gap)));
            }
        }
    }
    let delivered_by_sink = by_token
        .values()
        .filter(|seen| seen.iter().any(|(_, s)| *s == 200))
        .count();
    let dead_lettered = queue.dlq.borrow().len();
    assert_eq!(delivered, delivered_by_sink, "acked = answered 200");
    Figures {
        sent: n as usize,
        delivered,
        dead_lettered,
        lost: (n as usize).saturating_sub(delivered + dead_lettered),
        permanent_retried,
        rate_limited,
        retry_after_broken,
        min_retry_gap,
        posts: posts.len(),
        batches,
        wall,
    }
}

fn check(f: &Figures) {
    assert_eq!(f.delivered + f.dead_lettered, f.sent, "{f:?}");
    assert_eq!(f.lost, 0, "{f:?}");
    assert_eq!(f.permanent_retried, 0, "{f:?}");
    assert_eq!(f.retry_after_broken, 0, "{f:?}");
    assert!(
        f.rate_limited > 0,
        "the burst rate limited something: {f:?}"
    );
    assert_eq!(
        f.dead_lettered,
        f.sent.div_ceil(100),
        "the 1 % 404s, nothing else: {f:?}"
    );
}

#[tokio::test]
async fn burst_small() {
    let f = burst(60).await;
    check(&f);
}

#[tokio::test]
#[ignore = "the burst benchmark: scripts/burst"]
async fn burst_500() {
    let f = burst(500).await;
    let secs = f.wall.as_secs_f64();
    println!(
        "burst: {} notifications, batches of {BATCH}, {} batches",
        f.sent, f.batches
    );
    println!("  delivered        {}", f.delivered);
    println!("  dead-lettered    {}", f.dead_lettered);
    println!("  lost             {}", f.lost);
    println!("  permanent retried {}", f.permanent_retried);
    println!(
        "  429s followed by a retry {} (Retry-After broken: {}, shortest gap {:.3} s)",
        f.rate_limited,
        f.retry_after_broken,
        f.min_retry_gap.unwrap_or_default().as_secs_f64()
    );
    println!("  posts            {}", f.posts);
    println!("  wall time        {secs:.1} s");
    println!("  posts/s          {:.1}", f.posts as f64 / secs);
    check(&f);
}
