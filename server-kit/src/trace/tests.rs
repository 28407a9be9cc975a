//! The recorder, the ring, the ids and the lab routes' host check.

use std::borrow::Cow;
use std::cell::RefCell;
use std::time::Duration;

use axum::http::{HeaderValue, Method};
use proptest::prelude::*;
use shared::trace::Outcome;

use super::id::TraceId;
use super::record::{MAX_TEXT, RECORD, Record, cut};
use super::ring::{Finished, now_ms};
use super::{Check, OwnHosts, Recorder, RingLimits, Traces, mask};

proptest! {
    #[test]
    fn a_masked_value_never_contains_the_whole_secret(secret in "\\PC{1,80}") {
        let masked = mask(&secret);
        prop_assert!(!masked.contains(&secret));
        prop_assert!(masked.chars().count() <= 5);
    }
}

fn keep(traces: &Traces, id: u32, at_ms: u64) {
    traces.keep(Finished {
        id: TraceId(id),
        at_ms,
        method: Method::GET,
        path: "/",
        status: 200,
        record: &mut Record::default(),
    });
}

#[test]
fn the_lab_routes_know_the_servers_own_names_and_loopback_and_no_other() {
    let own = OwnHosts::of("https://lab.example:8443");
    for host in [
        "localhost:8081",
        "127.0.0.1:8082",
        "[::1]:8081",
        "LOCALHOST",
        "lab.example:443",
    ] {
        assert!(own.allows(host), "{host}");
    }
    for host in [
        "rebind.attacker.example:8081",
        "localhost.attacker.example",
        "127.0.0.1.nip.io:8081",
        "[::2]:8081",
        "",
    ] {
        assert!(!own.allows(host), "{host}");
    }
}

#[test]
fn a_long_path_or_refusal_is_kept_cut_and_marked() {
    let long = "a".repeat(15_000);
    let kept = cut(&long, MAX_TEXT);
    assert!(kept.len() < MAX_TEXT + 40, "{}", kept.len());
    assert!(kept.ends_with("… [14488 more bytes not kept]"), "{kept}");
    assert_eq!(
        cut("é".repeat(300).as_str(), 511).len() % 2,
        0,
        "cut at a boundary"
    );
    assert!(matches!(cut("/token", MAX_TEXT), Cow::Borrowed("/token")));
}

#[test]
fn the_ring_keeps_at_most_its_count_and_drops_the_oldest_first() {
    let traces = Traces::new(
        "test",
        RingLimits {
            count: 10,
            age: Duration::from_secs(60),
        },
    );
    for n in 0..1_000 {
        keep(&traces, n, now_ms());
    }
    assert_eq!(traces.len(), 10);
    let kept = traces.find(|_| true);
    assert_eq!(
        kept.first().map(|t| t.id.clone()),
        Some(TraceId(990).to_string())
    );
    assert_eq!(
        kept.last().map(|t| t.id.clone()),
        Some(TraceId(999).to_string())
    );
}

#[test]
fn the_ring_forgets_traces_older_than_its_age() {
    let traces = Traces::new(
        "test",
        RingLimits {
            count: 10,
            age: Duration::from_secs(60),
        },
    );
    keep(&traces, 1, now_ms() - 61_000);
    assert!(traces.find(|_| true).is_empty(), "too old to be shown");
    keep(&traces, 2, now_ms());
    assert_eq!(traces.len(), 1, "too old to be kept");
}

#[test]
fn a_trace_id_is_read_back_from_its_text_and_no_other_text_names_it() {
    let id = TraceId(0x1234_abcd);
    let text = id.to_string();
    assert_eq!(text.len(), TraceId::LEN);
    assert!(text.ends_with("1234abcd"));
    assert_eq!(TraceId::parse(&text), Some(id));
    assert_eq!(TraceId::parse(&format!("{text}0")), None, "too long");
    assert_eq!(
        TraceId::parse(&format!(
            "{:016x}1234abcd",
            u64::from_str_radix(&text[..16], 16).unwrap_or(0) ^ 1
        )),
        None,
        "another process"
    );
    assert_eq!(TraceId::parse("é"), None);
}

#[test]
fn each_header_value_is_its_own_id_across_the_buffers_they_are_cut_from() {
    let values: Vec<(TraceId, HeaderValue)> = (0..1_000)
        .map(|n| {
            (
                TraceId(n),
                TraceId(n).header_value().expect("hex is a header value"),
            )
        })
        .collect();
    for (id, value) in values {
        assert_eq!(value.to_str().ok(), Some(id.to_string().as_str()));
    }
}

#[test]
fn a_recorder_that_is_off_records_nothing_and_hands_the_result_back() {
    const CHECK: Check = Check::new("c", "RFC 6749 §3.1", "fine");
    let recorded = |recorder: fn() -> Recorder| {
        let record = RefCell::new(Record::default());
        RECORD.sync_scope(record, || {
            let recorder = recorder();
            assert_eq!(recorder.check(&CHECK, Ok::<_, &str>(1)), Ok(1));
            assert_eq!(recorder.check(&CHECK, Err::<(), _>("no")), Err("no"));
            RECORD.with(|record| record.take().checks)
        })
    };
    assert!(
        recorded(Recorder::default).is_empty(),
        "off in a traced request"
    );
    let outcomes: Vec<Outcome> = recorded(Recorder::current)
        .iter()
        .map(|checked| checked.outcome)
        .collect();
    assert_eq!(outcomes, [Outcome::Passed, Outcome::Refused]);
    assert!(!Recorder::current().is_on(), "outside a traced request");
}
