//! Schedule-expression semantics as tables: AWS's documented examples (the EventBridge "Schedule
//! expressions for rules" cron table, the Scheduler "Schedule types" rate/at examples), the
//! differences from Unix cron, the wildcards, time zones and daylight saving, and what AWS refuses.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use ecs_rerun_audit::schedule::{Dialect, Expression, zone};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test time")
        .with_timezone(&Utc)
}

fn fmt(v: &[DateTime<Utc>]) -> Vec<String> {
    v.iter()
        .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .collect()
}

/// The instants of `expr` in `[from, to)` evaluated in `tz`.
fn instants(expr: &str, dialect: Dialect, tz: &str, from: &str, to: &str) -> Vec<String> {
    let e = Expression::parse(expr, dialect).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let tz = zone::parse(Some(tz)).expect("zone");
    fmt(&e.instants(tz, t(from), t(from), t(to)))
}

#[test]
fn aws_documented_cron_examples() {
    // 2026-06-01 is a Monday
    let cases: [(&str, &str, &str, usize, &[&str]); 8] = [
        // 10:00 UTC every day
        (
            "cron(0 10 * * ? *)",
            "2026-06-01T00:00:00Z",
            "2026-06-04T00:00:00Z",
            3,
            &["2026-06-01T10:00", "2026-06-02T10:00"],
        ),
        // 12:15 UTC every day
        (
            "cron(15 12 * * ? *)",
            "2026-06-01T00:00:00Z",
            "2026-06-03T00:00:00Z",
            2,
            &["2026-06-01T12:15"],
        ),
        // 18:00 Monday to Friday
        (
            "cron(0 18 ? * MON-FRI *)",
            "2026-06-01T00:00:00Z",
            "2026-06-08T00:00:00Z",
            5,
            &["2026-06-01T18:00", "2026-06-02T18:00"],
        ),
        // 08:00 on the first day of the month
        (
            "cron(0 8 1 * ? *)",
            "2026-06-01T00:00:00Z",
            "2026-09-01T00:00:00Z",
            3,
            &["2026-06-01T08:00", "2026-07-01T08:00", "2026-08-01T08:00"],
        ),
        // every 15 minutes
        (
            "cron(0/15 * * * ? *)",
            "2026-06-01T00:00:00Z",
            "2026-06-01T01:00:00Z",
            4,
            &[
                "2026-06-01T00:00",
                "2026-06-01T00:15",
                "2026-06-01T00:30",
                "2026-06-01T00:45",
            ],
        ),
        // every 10 minutes Monday to Friday (Sat/Sun none)
        (
            "cron(0/10 * ? * MON-FRI *)",
            "2026-06-05T23:30:00Z",
            "2026-06-08T00:20:00Z",
            5,
            &[
                "2026-06-05T23:30",
                "2026-06-05T23:40",
                "2026-06-05T23:50",
                "2026-06-08T00:00",
                "2026-06-08T00:10",
            ],
        ),
        // every 5 minutes Monday to Friday between 08:00 and 17:55
        (
            "cron(0/5 8-17 ? * MON-FRI *)",
            "2026-06-01T00:00:00Z",
            "2026-06-02T00:00:00Z",
            120,
            &["2026-06-01T08:00", "2026-06-01T08:05"],
        ),
        // 09:00 on the first Monday of each month
        (
            "cron(0 9 ? * 2#1 *)",
            "2026-06-01T00:00:00Z",
            "2026-09-01T00:00:00Z",
            3,
            &["2026-06-01T09:00", "2026-07-06T09:00", "2026-08-03T09:00"],
        ),
    ];
    for (expr, from, to, n, head) in cases {
        for dialect in [Dialect::Rule, Dialect::Scheduler] {
            let got = instants(expr, dialect, "UTC", from, to);
            assert_eq!(got.len(), n, "{expr}: {got:?}");
            assert_eq!(&got[..head.len()], head, "{expr}");
        }
    }
    let last = instants(
        "cron(0/5 8-17 ? * MON-FRI *)",
        Dialect::Rule,
        "UTC",
        "2026-06-01T00:00:00Z",
        "2026-06-02T00:00:00Z",
    );
    assert_eq!(last.last().map(String::as_str), Some("2026-06-01T17:55"));
}

#[test]
fn differences_from_unix_cron() {
    // (AWS expression, what it means, Unix cron would mean)
    let w = ("2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z"); // Mon 1 .. Sun 7
    let cases: [(&str, &[&str]); 6] = [
        // day-of-week 1 is SUNDAY (Unix: Monday)
        ("cron(0 12 ? * 1 *)", &["2026-06-07T12:00"]),
        // 7 is SATURDAY (Unix: Sunday)
        ("cron(0 12 ? * 7 *)", &["2026-06-06T12:00"]),
        // 2-6 is MON-FRI (Unix: TUE-SAT)
        (
            "cron(0 12 ? * 2-6 *)",
            &[
                "2026-06-01T12:00",
                "2026-06-02T12:00",
                "2026-06-03T12:00",
                "2026-06-04T12:00",
                "2026-06-05T12:00",
            ],
        ),
        // names are the same in both
        (
            "cron(0 12 ? * SUN,SAT *)",
            &["2026-06-06T12:00", "2026-06-07T12:00"],
        ),
        // L in day-of-week alone = Saturday, the last day of AWS's week
        ("cron(0 12 ? * L *)", &["2026-06-06T12:00"]),
        // a sixth field, the year: 2027 only, so nothing in 2026
        ("cron(0 12 * * ? 2027)", &[]),
    ];
    for (expr, want) in cases {
        assert_eq!(
            instants(expr, Dialect::Rule, "UTC", w.0, w.1),
            want,
            "{expr}"
        );
    }
}

#[test]
fn wildcards_l_w_hash_lists_steps_names() {
    let cases: [(&str, &str, &str, &[&str]); 12] = [
        // L: last day of the month (Feb 2028 is a leap year)
        (
            "cron(0 0 L * ? *)",
            "2028-01-15T00:00:00Z",
            "2028-04-01T00:00:00Z",
            &["2028-01-31T00:00", "2028-02-29T00:00", "2028-03-31T00:00"],
        ),
        // 6L: last Friday of the month
        (
            "cron(0 0 ? * 6L *)",
            "2026-06-01T00:00:00Z",
            "2026-08-01T00:00:00Z",
            &["2026-06-26T00:00", "2026-07-31T00:00"],
        ),
        // 15W: weekday nearest the 15th (2026-08-15 is a Saturday → Friday 14th; 2026-11-15 Sunday → Monday 16th)
        (
            "cron(0 0 15W * ? *)",
            "2026-08-01T00:00:00Z",
            "2026-12-01T00:00:00Z",
            &[
                "2026-08-14T00:00",
                "2026-09-15T00:00",
                "2026-10-15T00:00",
                "2026-11-16T00:00",
            ],
        ),
        // 1W never leaves the month: 2026-08-01 is a Saturday → Monday 3rd
        (
            "cron(0 0 1W * ? *)",
            "2026-08-01T00:00:00Z",
            "2026-09-01T00:00:00Z",
            &["2026-08-03T00:00"],
        ),
        // LW: last weekday of the month (2026-05-31 is a Sunday → Friday 29th)
        (
            "cron(0 0 LW * ? *)",
            "2026-05-01T00:00:00Z",
            "2026-06-01T00:00:00Z",
            &["2026-05-29T00:00"],
        ),
        // 6#3: third Friday
        (
            "cron(0 0 ? * 6#3 *)",
            "2026-06-01T00:00:00Z",
            "2026-07-01T00:00:00Z",
            &["2026-06-19T00:00"],
        ),
        // 2#5: fifth Monday, only in months that have one
        (
            "cron(0 0 ? * MON#5 *)",
            "2026-06-01T00:00:00Z",
            "2026-09-01T00:00:00Z",
            &["2026-06-29T00:00", "2026-08-31T00:00"],
        ),
        // lists, ranges and steps together; month names
        (
            "cron(5,35 9-10 1 JAN,MAR ? *)",
            "2026-01-01T00:00:00Z",
            "2026-04-01T00:00:00Z",
            &[
                "2026-01-01T09:05",
                "2026-01-01T09:35",
                "2026-01-01T10:05",
                "2026-01-01T10:35",
                "2026-03-01T09:05",
                "2026-03-01T09:35",
                "2026-03-01T10:05",
                "2026-03-01T10:35",
            ],
        ),
        // a step over a range: 10-50/20
        (
            "cron(10-50/20 0 1 1 ? 2026)",
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
            &["2026-01-01T00:10", "2026-01-01T00:30", "2026-01-01T00:50"],
        ),
        // a value with a step runs to the end of the field: 50/5
        (
            "cron(50/5 0 1 1 ? 2026)",
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
            &["2026-01-01T00:50", "2026-01-01T00:55"],
        ),
        // a range that wraps round the week: FRI-MON
        (
            "cron(0 12 ? * FRI-MON *)",
            "2026-06-01T00:00:00Z",
            "2026-06-08T00:00:00Z",
            &[
                "2026-06-01T12:00",
                "2026-06-05T12:00",
                "2026-06-06T12:00",
                "2026-06-07T12:00",
            ],
        ),
        // year ranges
        (
            "cron(0 0 1 1 ? 2026-2027)",
            "2025-01-01T00:00:00Z",
            "2029-01-01T00:00:00Z",
            &["2026-01-01T00:00", "2027-01-01T00:00"],
        ),
    ];
    for (expr, from, to, want) in cases {
        assert_eq!(
            instants(expr, Dialect::Rule, "UTC", from, to),
            want,
            "{expr}"
        );
    }
}

#[test]
fn refused_expressions() {
    let cases: [(&str, Dialect); 16] = [
        ("cron(0 12 * * * *)", Dialect::Rule), // both days given: one must be ?
        ("cron(0 12 ? * ? *)", Dialect::Rule), // both ?
        ("cron(0 12 1 * MON *)", Dialect::Rule), // both days given
        ("cron(0 12 * * ?)", Dialect::Rule),   // five fields (Unix cron)
        ("cron(0 12 * * ? * *)", Dialect::Rule), // seven fields (Quartz seconds)
        ("cron(60 12 * * ? *)", Dialect::Rule), // minute 60
        ("cron(0 24 * * ? *)", Dialect::Rule), // hour 24
        ("cron(0 12 32 * ? *)", Dialect::Rule), // day 32
        ("cron(0 12 ? * 0 *)", Dialect::Rule), // day-of-week 0 (Unix Sunday)
        ("cron(0 12 ? * 8 *)", Dialect::Rule), // day-of-week 8
        ("cron(0 12 ? * 2#6 *)", Dialect::Rule), // no sixth Monday
        ("cron(0 12 * * ? 1969)", Dialect::Rule), // year before 1970
        ("rate(1 minutes)", Dialect::Rule),    // rules: singular for 1
        ("rate(5 minute)", Dialect::Rule),     // rules: plural otherwise
        ("rate(0 minutes)", Dialect::Scheduler), // not positive
        ("at(2026-03-08T12:00:00)", Dialect::Rule), // rules have no at()
    ];
    for (expr, dialect) in cases {
        let err = Expression::parse(expr, dialect).expect_err(expr);
        assert_eq!(
            err.error_type(),
            "EcsRerunAudit.InvalidExpression",
            "{expr}"
        );
        assert!(err.to_string().contains(expr), "{expr}: {err}");
    }
    for bad in [
        "rate(5 weeks)",
        "rate(five minutes)",
        "at(2026-03-08 12:00)",
        "every(5 minutes)",
        "cron(0 12 * * ? *",
    ] {
        assert!(Expression::parse(bad, Dialect::Scheduler).is_err(), "{bad}");
    }
    // Scheduler takes either form of the unit
    assert!(Expression::parse("rate(1 minutes)", Dialect::Scheduler).is_ok());
}

#[test]
fn rate_and_at_examples() {
    // Scheduler's examples: rate(5 minutes), rate(1 hour), rate(7 days); at() in the schedule's zone
    let anchor = t("2026-06-01T00:02:00Z");
    let cases: [(&str, i64); 3] = [
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3_600),
        ("rate(7 days)", 604_800),
    ];
    for (expr, seconds) in cases {
        let e = Expression::parse(expr, Dialect::Rule).expect(expr);
        assert_eq!(e.rate(), Some(TimeDelta::seconds(seconds)), "{expr}");
        let got = e.instants(
            Tz::UTC,
            anchor,
            t("2026-06-01T00:00:00Z"),
            anchor + TimeDelta::seconds(3 * seconds),
        );
        assert_eq!(
            got,
            vec![
                anchor,
                anchor + TimeDelta::seconds(seconds),
                anchor + TimeDelta::seconds(2 * seconds)
            ],
            "{expr}"
        );
    }
    // an anchor long before the window: phase is kept
    let e = Expression::parse("rate(6 hours)", Dialect::Rule).expect("rate");
    assert_eq!(
        fmt(&e.instants(
            Tz::UTC,
            t("2020-01-01T01:13:00Z"),
            t("2026-06-01T00:00:00Z"),
            t("2026-06-01T12:00:00Z")
        )),
        ["2026-06-01T01:13", "2026-06-01T07:13"]
    );
    // a day of a rate is 24 hours, even across a DST change
    let e = Expression::parse("rate(1 day)", Dialect::Scheduler).expect("rate");
    let ny = zone::parse(Some("America/New_York")).expect("zone");
    assert_eq!(
        fmt(&e.instants(
            ny,
            t("2026-03-07T07:00:00Z"),
            t("2026-03-07T00:00:00Z"),
            t("2026-03-10T00:00:00Z")
        )),
        ["2026-03-07T07:00", "2026-03-08T07:00", "2026-03-09T07:00"]
    );
    // at(): a local time in the schedule's zone
    let cases: [(&str, &str, &[&str]); 3] = [
        ("UTC", "at(2026-03-08T12:00:00)", &["2026-03-08T12:00"]),
        (
            "Asia/Tokyo",
            "at(2026-03-08T12:00:00)",
            &["2026-03-08T03:00"],
        ),
        ("America/New_York", "at(2026-03-08T02:30:00)", &[]), // does not exist that day
    ];
    for (tz, expr, want) in cases {
        assert_eq!(
            instants(
                expr,
                Dialect::Scheduler,
                tz,
                "2026-03-07T00:00:00Z",
                "2026-03-10T00:00:00Z"
            ),
            want,
            "{tz} {expr}"
        );
    }
}

#[test]
fn time_zones_and_daylight_saving() {
    // Scheduler: a local time the spring change skips does not run; one the autumn change repeats
    // runs once, at its first occurrence.
    let cases: [(&str, &str, &str, &str, &[&str]); 6] = [
        // New York springs forward 2026-03-08 02:00 → 03:00: 02:30 does not exist that day
        (
            "America/New_York",
            "cron(30 2 * * ? *)",
            "2026-03-07T00:00:00Z",
            "2026-03-10T00:00:00Z",
            &["2026-03-07T07:30", "2026-03-09T06:30"],
        ),
        // 03:30 exists every day; its UTC moves by an hour
        (
            "America/New_York",
            "cron(30 3 * * ? *)",
            "2026-03-07T00:00:00Z",
            "2026-03-10T00:00:00Z",
            &["2026-03-07T08:30", "2026-03-08T07:30", "2026-03-09T07:30"],
        ),
        // New York falls back 2026-11-01 02:00 → 01:00: 01:30 happens twice, runs once (EDT)
        (
            "America/New_York",
            "cron(30 1 * * ? *)",
            "2026-10-31T00:00:00Z",
            "2026-11-03T00:00:00Z",
            &["2026-10-31T05:30", "2026-11-01T05:30", "2026-11-02T06:30"],
        ),
        // every 30 minutes across the autumn hour: 01:00 and 01:30 once each
        (
            "America/New_York",
            "cron(0/30 1 * * ? *)",
            "2026-11-01T04:00:00Z",
            "2026-11-01T08:00:00Z",
            &["2026-11-01T05:00", "2026-11-01T05:30"],
        ),
        // Berlin springs forward 2026-03-29 02:00 → 03:00
        (
            "Europe/Berlin",
            "cron(15 2 ? * SUN *)",
            "2026-03-22T00:00:00Z",
            "2026-04-06T00:00:00Z",
            &["2026-03-22T01:15", "2026-04-05T00:15"],
        ),
        // a zone east of UTC moves the local date: Tokyo Monday 08:00 is Sunday 23:00 UTC
        (
            "Asia/Tokyo",
            "cron(0 8 ? * MON *)",
            "2026-06-01T00:00:00Z",
            "2026-06-09T00:00:00Z",
            &["2026-06-07T23:00"],
        ),
    ];
    for (tz, expr, from, to, want) in cases {
        assert_eq!(
            instants(expr, Dialect::Scheduler, tz, from, to),
            want,
            "{tz} {expr}"
        );
    }
    assert_eq!(
        zone::parse(Some("Mars/Olympus"))
            .expect_err("zone")
            .error_type(),
        "EcsRerunAudit.InvalidTimeZone"
    );
}
