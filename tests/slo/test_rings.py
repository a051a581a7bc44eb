from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from vigie.slo.rings import pieces, split

BASE = datetime(2026, 11, 1, tzinfo=UTC)
minutes = st.integers(min_value=0, max_value=6 * 1440)


def covered(ranges: dict[str, list[tuple[datetime, datetime]]]) -> list[datetime]:
    out = []
    for lo, hi in (r for rs in ranges.values() for r in rs):
        t = lo
        while t < hi:
            out.append(t)
            t += timedelta(minutes=1)
    return sorted(out)


@settings(deadline=None, max_examples=60)
@given(minutes, minutes)
def test_split_covers_each_minute_once_with_aligned_pieces(a: int, b: int) -> None:
    start, end = BASE + timedelta(minutes=min(a, b)), BASE + timedelta(minutes=max(a, b))
    parts = split(start, end)
    expected = [
        start + timedelta(minutes=i) for i in range(int((end - start).total_seconds() // 60))
    ]
    assert covered(parts) == expected
    for lo, hi in parts["day"]:
        assert lo.hour == lo.minute == hi.hour == hi.minute == 0
    for lo, hi in parts["hour"]:
        assert lo.minute == hi.minute == 0
    # minutes only at the edges: less than an hour on each side of the hours
    assert sum((hi - lo for lo, hi in parts["minute"]), timedelta()) < timedelta(hours=2)
    assert sum((hi - lo for lo, hi in parts["hour"]), timedelta()) < timedelta(days=2)


def test_pieces_never_straddle_a_ring() -> None:
    end = datetime(2026, 11, 27, 13, 47, tzinfo=UTC)
    bounds = sorted(end - timedelta(minutes=m) for m in (5, 30, 60, 120, 360, 1440, 4320, 43200))
    parts = pieces(bounds, end)
    # a rollup bucket never holds minutes of two rings: a ring bound inside a piece must fall
    # on a bucket edge of that piece's resolution
    for resolution, ranges in parts.items():
        for lo, hi in ranges:
            for b in (b for b in bounds if lo < b < hi):
                assert resolution == "minute" or b.minute == 0
                assert resolution != "day" or b.hour == 0
    assert covered(parts)[0] == bounds[0]
    assert covered(parts)[-1] == end - timedelta(minutes=1)
    assert len(covered(parts)) == 43200
