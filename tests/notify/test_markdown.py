from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from tests.fakes.discord import pinged

from vigie.notify.markdown import ELLIPSIS, ZWSP, embed_size, escape, truncate

HOSTILE = (
    "@everyone @here <@123456789012345678> <@!123456789012345678> <@&987654321098765432> "
    "<#555555555555555555> [click](http://evil.example/x) **bold** __u__ ~~s~~ ||spoiler|| "
    "`code` ```block``` > quote\n# heading\n- item <t:1700000000:R> :smile: https://evil.example"
)


def test_escaped_text_pings_nobody_even_when_discord_parses_everything() -> None:
    text = escape(HOSTILE)
    # No allowed_mentions at all: Discord's default parses every mention in content.
    assert pinged({"content": text}) == set()
    assert pinged({"content": HOSTILE}) != set()  # the check itself can fail


def test_escaped_text_has_no_live_markdown() -> None:
    text = escape(HOSTILE)
    assert "\n" not in text
    # Every special character is preceded by a backslash (an odd run of them).
    for match in re.finditer(r"[*_~|`\[\]()<]", text):
        run = len(text[: match.start()]) - len(text[: match.start()].rstrip("\\"))
        assert run % 2 == 1, (match.group(), text[max(0, match.start() - 10) : match.end()])
    assert "@" + ZWSP + "everyone" in text
    assert "://" not in text  # URL schemes are broken: nothing auto-links


def test_line_start_markdown_is_escaped() -> None:
    assert escape("# title") == "\\# title"
    assert escape("- item") == "\\- item"
    assert escape("> quote") == "\\> quote"
    assert escape("12. item") == "12\\. item"
    assert escape("a - b # c") == "a - b # c"  # mid-line they mean nothing


def test_escape_keeps_the_words() -> None:
    text = escape("GET /api/items failed: timeout")
    assert text.replace("\\", "") == "GET /api/items failed: timeout"


@given(st.text(max_size=300), st.integers(min_value=1, max_value=120))
def test_truncate_fits_and_keeps_a_prefix(text: str, limit: int) -> None:
    cut = truncate(escape(text), limit)
    assert len(cut) <= limit
    if cut.endswith(ELLIPSIS) and len(escape(text)) > limit:
        head = cut[: -len(ELLIPSIS)]
        assert escape(text).startswith(head)
        trailing = len(head) - len(head.rstrip("\\"))
        assert trailing % 2 == 0  # no dangling escape before the ellipsis
    else:
        assert cut == escape(text)


def test_embed_size_counts_what_discord_counts() -> None:
    embed = {
        "title": "ab",
        "description": "cde",
        "fields": [{"name": "f", "value": "gh"}],
        "footer": {"text": "ijkl"},
        "author": {"name": "m"},
        "url": "https://not-counted.example",
    }
    assert embed_size(embed) == 2 + 3 + 1 + 2 + 4 + 1
