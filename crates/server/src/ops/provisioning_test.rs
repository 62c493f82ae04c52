use super::*;

/// 2020-07-08T00:00:00Z, a Wednesday.
const DAY: f64 = 1_594_166_400.0;
const HOUR: f64 = 3600.0;

/// Applies `check_decrease` then `record_decrease`, as UpdateTable does.
fn decrease(last: &mut Option<f64>, count: &mut u32, now: f64) -> Result<(), DecreaseRefused> {
    check_decrease(*last, *count, now)?;
    record_decrease(last, count, now);
    Ok(())
}

#[test]
fn four_decreases_at_any_time_then_one_an_hour() {
    tracing::info!("the first 4 decreases of a day need no spacing");
    let (mut last, mut count) = (None, 0);
    let t0 = DAY + 10.0 * HOUR;
    for i in 0..4 {
        assert_eq!(decrease(&mut last, &mut count, t0 + f64::from(i)), Ok(()));
    }
    assert_eq!(count, 4);

    tracing::info!("the 5th within the hour is refused, naming the last and the next time");
    let refused = decrease(&mut last, &mut count, t0 + 4.0);
    assert_eq!(
        refused,
        Err(DecreaseRefused {
            today: 4,
            last: t0 + 3.0,
            next: t0 + 3.0 + HOUR,
        })
    );
    assert_eq!(
        (last, count),
        (Some(t0 + 3.0), 4),
        "a refusal records nothing"
    );
    assert!(check_decrease(last, count, t0 + 3.0 + HOUR - 0.001).is_err());

    tracing::info!("an hour after the last decrease one more is allowed, then an hour again");
    assert_eq!(decrease(&mut last, &mut count, t0 + 3.0 + HOUR), Ok(()));
    assert_eq!(count, 5);
    assert!(check_decrease(last, count, t0 + 3.0 + 2.0 * HOUR - 1.0).is_err());
    assert!(check_decrease(last, count, t0 + 3.0 + 2.0 * HOUR).is_ok());
}

#[test]
fn at_most_27_decreases_in_a_utc_day() {
    tracing::info!("trying every minute for three days gets 27 decreases per UTC day");
    let (mut last, mut count) = (None, 0);
    let mut per_day = [0u32; 3];
    for minute in 0..3 * 24 * 60 {
        let now = DAY + f64::from(minute) * 60.0;
        if decrease(&mut last, &mut count, now).is_ok() {
            per_day[(minute / (24 * 60)) as usize] += 1;
        }
    }
    assert_eq!(per_day, [27, 27, 27]);
}

#[test]
fn the_count_resets_at_utc_midnight() {
    let (mut last, mut count) = (None, 0);
    let evening = DAY + 23.0 * HOUR + 30.0 * 60.0;
    for i in 0..4 {
        assert_eq!(
            decrease(&mut last, &mut count, evening + f64::from(i)),
            Ok(())
        );
    }
    let midnight = DAY + 24.0 * HOUR;

    tracing::info!("late in the day the next decrease is allowed at midnight, not an hour later");
    assert_eq!(
        check_decrease(last, count, midnight - 0.001),
        Err(DecreaseRefused {
            today: 4,
            last: evening + 3.0,
            next: midnight,
        })
    );
    assert_eq!(decreases_today(last, count, midnight - 0.001), 4);

    tracing::info!("DescribeTable reports 0 from midnight, without any write");
    assert_eq!(decreases_today(last, count, midnight), 0);
    assert_eq!(decreases_today(last, count, midnight + 5.0 * DAY_SECS), 0);

    tracing::info!("the new day starts its own count");
    assert_eq!(decrease(&mut last, &mut count, midnight), Ok(()));
    assert_eq!(count, 1);
}

#[test]
fn a_clock_that_goes_back_grants_nothing_more() {
    let (mut last, mut count) = (None, 0);
    let t = DAY + 24.0 * HOUR + 60.0;
    for i in 0..4 {
        assert_eq!(decrease(&mut last, &mut count, t + f64::from(i)), Ok(()));
    }
    tracing::info!("a time before the last decrease (even the day before) still counts it");
    assert_eq!(decreases_today(last, count, t - 2.0 * HOUR), 4);
    assert!(check_decrease(last, count, t - 2.0 * HOUR).is_err());
}

#[test]
fn four_switches_to_on_demand_in_a_rolling_day() {
    let mut history = Vec::new();
    let t0 = DAY + 20.0 * HOUR;
    for i in 0..4 {
        let now = t0 + f64::from(i) * HOUR;
        assert_eq!(check_on_demand_switch(&history, now), Ok(()));
        record_on_demand_switch(&mut history, now);
    }

    tracing::info!("the 5th within 24 hours is refused until the first leaves the window");
    let fifth = t0 + 4.0 * HOUR;
    assert_eq!(
        check_on_demand_switch(&history, fifth),
        Err(SwitchRefused {
            last: t0 + 3.0 * HOUR,
            next: t0 + ON_DEMAND_WINDOW_SECS,
        })
    );
    // The window is rolling: the UTC day boundary in between changes nothing.
    assert!(check_on_demand_switch(&history, t0 + ON_DEMAND_WINDOW_SECS - 0.001).is_err());
    assert_eq!(
        check_on_demand_switch(&history, t0 + ON_DEMAND_WINDOW_SECS),
        Ok(())
    );

    tracing::info!("after that the next one waits for the second switch to leave, and so on");
    record_on_demand_switch(&mut history, t0 + ON_DEMAND_WINDOW_SECS);
    assert_eq!(history.len(), ON_DEMAND_SWITCHES);
    assert_eq!(
        check_on_demand_switch(&history, t0 + ON_DEMAND_WINDOW_SECS + 1.0),
        Err(SwitchRefused {
            last: t0 + ON_DEMAND_WINDOW_SECS,
            next: t0 + HOUR + ON_DEMAND_WINDOW_SECS,
        })
    );

    tracing::info!("old switches are forgotten");
    let much_later = t0 + 10.0 * ON_DEMAND_WINDOW_SECS;
    record_on_demand_switch(&mut history, much_later);
    assert_eq!(history, vec![much_later]);
}

#[test]
fn messages_are_dynamodbs() {
    let at = DAY + 17.0 * HOUR + 55.0 * 60.0 + 31.0;
    assert_eq!(
        long_date(at),
        "Wednesday, July 8, 2020 at 5:55:31 PM Coordinated Universal Time"
    );
    assert_eq!(
        long_date(DAY + 0.5),
        "Wednesday, July 8, 2020 at 12:00:00 AM Coordinated Universal Time"
    );
    assert_eq!(short_date(at), "Wed Jul 08 17:55:31 UTC 2020");
    let m = DecreaseRefused {
        today: 4,
        last: at,
        next: at + HOUR,
    }
    .message();
    assert_eq!(
        m,
        "Subscriber limit exceeded: Provisioned throughput decreases are limited within a \
         given UTC day. After the first 4 decreases, each subsequent decrease in the same UTC \
         day can be performed at most once every 3600 seconds. Number of decreases today: 4. \
         Last decrease at Wednesday, July 8, 2020 at 5:55:31 PM Coordinated Universal Time. \
         Next decrease can be made at Wednesday, July 8, 2020 at 6:55:31 PM Coordinated \
         Universal Time"
    );
    let m = SwitchRefused {
        last: at,
        next: at + ON_DEMAND_WINDOW_SECS,
    }
    .message();
    assert_eq!(
        m,
        "Subscriber limit exceeded: Update to PayPerRequest mode are limited to 4 times in 1 \
         day(s). Last update at Wed Jul 08 17:55:31 UTC 2020. Next update can be made at Thu \
         Jul 09 17:55:31 UTC 2020"
    );
    assert!(matches!(
        ApiError::from(SwitchRefused { last: at, next: at }),
        ApiError::LimitExceeded(_)
    ));
}
