"""Tokens: expiry (default: end of the academic year), listing, revocation; on chdb."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigie.access.tokens import ID_LENGTH, TokenStore, UnknownToken, academic_year_end
from vigie.store import Store


@pytest.mark.parametrize(
    ("now", "end"),
    [
        # fixed date: a pure function of its argument, nothing stored
        (datetime(2026, 9, 10, tzinfo=UTC), datetime(2027, 9, 1, tzinfo=UTC)),
        # fixed date: a pure function of its argument, nothing stored
        (datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 9, 1, tzinfo=UTC)),
        # a captain named in late August keeps the token for the coming year
        # fixed date: a pure function of its argument, nothing stored
        (datetime(2027, 8, 20, tzinfo=UTC), datetime(2028, 9, 1, tzinfo=UTC)),
    ],
)
def test_default_expiry_is_the_end_of_the_academic_year(now: datetime, end: datetime) -> None:
    assert academic_year_end(now) == end


def test_expiry_revocation_and_listing(db: Store) -> None:
    now = [db.query("SELECT now64(3, 'UTC')").scalar().replace(tzinfo=UTC)]
    tokens = TokenStore(db, clock=lambda: now[0])
    captain, info = tokens.create("captain", "alpha", "léa", now[0] + timedelta(days=2))
    admin, admin_info = tokens.create("admin", label="root")
    assert len(info.token_id) == ID_LENGTH and info.expires_at == now[0] + timedelta(days=2)
    assert admin_info.expires_at == academic_year_end(now[0])
    found = tokens.lookup(captain)
    assert found is not None and (found.role, found.club, found.label) == (
        "captain",
        "alpha",
        "léa",
    )
    now[0] += timedelta(days=3)
    assert tokens.lookup(captain) is None  # expired
    assert tokens.lookup(admin) is not None
    tokens.revoke(admin_info.token_id)
    assert tokens.lookup(admin) is None
    states = {i.token_id: i.state(now[0]) for i in tokens.list()}
    assert states == {info.token_id: "expired", admin_info.token_id: "revoked"}
    with pytest.raises(UnknownToken):
        tokens.revoke("not-an-id")
    with pytest.raises(ValueError, match="expires_at"):
        tokens.create("admin", expires_at=now[0] - timedelta(seconds=1))
    with pytest.raises(ValueError, match="club"):
        tokens.create("captain")
