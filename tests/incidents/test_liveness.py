"""Dead apps: silence is news only when the app's own history makes it improbable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vigie.incidents.liveness import DEAD_MIN_REQUESTS, MIN_SILENCE, judge, read_liveness
from vigie.ingest.rows import NoScrub
from vigie.ingest.traces import convert_traces
from vigie.loadgen.catalog import SAMPLE_APPS
from vigie.loadgen.otlp import encode_traces
from vigie.loadgen.traffic import request_stream
from vigie.slo.synthetic import insert_traffic
from vigie.store import Store

T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
MINUTE = timedelta(minutes=1)
NS = 1_000_000_000


def test_rule() -> None:
    first, last = T0 - timedelta(days=3), T0 - MINUTE
    busy = {1: 600, 2: 540, 3: 610}
    assert judge("a", last, first, T0 + MIN_SILENCE, busy).dead
    assert not judge("a", last, first, T0 + MIN_SILENCE - MINUTE, busy).dead  # batches lag
    one_quiet_day = {**busy, 2: DEAD_MIN_REQUESTS - 1}
    assert not judge("a", last, first, T0 + MIN_SILENCE, one_quiet_day).dead
    assert not judge("a", None, None, T0, {}).dead  # never had a request: nothing to miss
    young = judge("a", last, T0 - timedelta(hours=30), T0 + MIN_SILENCE, busy)
    assert young.dead and young.usual == (600,)  # only the days it existed count


def test_a_busy_app_that_stops_is_dead_a_quiet_night_is_not(db: Store) -> None:
    stop = T0 - timedelta(hours=4)
    # site-web: 60 requests a minute for three days, then nothing.
    insert_traffic(
        db, service="site-web", start=stop - timedelta(days=3), duration=timedelta(days=3),
        per_minute=60,
    )  # fmt: skip
    # nightly: 2 requests an hour (a club site at night), still alive but quiet.
    insert_traffic(
        db, service="nightly", start=T0 - timedelta(days=3), duration=timedelta(days=3),
        per_minute=1 / 30,
    )  # fmt: skip
    apps = ["site-web", "nightly", "never"]
    early = read_liveness(db, apps, stop + MIN_SILENCE - MINUTE)
    assert not early["site-web"].dead
    dead = read_liveness(db, apps, stop + MIN_SILENCE + timedelta(seconds=10))
    assert dead["site-web"].dead and dead["site-web"].silent_since == stop
    assert dead["site-web"].usual == (180, 180, 180), dead["site-web"]
    # nightly's last request was at most 30 min ago; an hour without one is its usual night
    later = T0 - timedelta(minutes=1)
    quiet = read_liveness(db, apps, later + timedelta(minutes=55))
    assert quiet["nightly"].silent_since is not None and not quiet["nightly"].dead
    assert max(quiet["nightly"].usual) < DEAD_MIN_REQUESTS
    assert not quiet["never"].dead and quiet["never"].silent_since is None
    # …and the dead app stays dead as the silence grows
    assert read_liveness(db, apps, stop + timedelta(hours=3))["site-web"].dead


def test_the_demo_historys_quiet_nights_page_nobody(db: Store) -> None:
    """Four days of the load generator's history (Poisson arrivals, Montréal's daily profile:
    nights at a tenth of the afternoons): hour after hour of the last day, no app is dead."""
    start = T0 - timedelta(days=3)
    requests = request_stream(
        SAMPLE_APPS, int(start.timestamp()) * NS, int((T0 + timedelta(days=1)).timestamp()) * NS,
        0.03, (), seed=11, daily=True,
    )  # fmt: skip
    converted = convert_traces(encode_traces(list(requests)), NoScrub())
    for batch in converted.batches:
        db.insert(batch.table, batch.columns, batch.data, column_oriented=True)
    apps = sorted({a.name for a in SAMPLE_APPS})
    verdicts = [
        (hour, live)
        for hour in range(1, 24)
        for live in read_liveness(db, apps, T0 + timedelta(hours=hour)).values()
    ]
    assert not [(hour, v.app, v.reason) for hour, v in verdicts if v.dead]
    # …yet there were long silences (the old "no event in an hour" rule paged on them)
    longest = max(
        T0 + timedelta(hours=hour) - v.silent_since
        for hour, v in verdicts
        if v.silent_since is not None
    )
    assert longest >= timedelta(hours=1), longest
