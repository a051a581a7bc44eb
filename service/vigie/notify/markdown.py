"""Discord's message limits, escaping of untrusted text, and clean truncation.

Everything that comes from telemetry or from users (error messages, span names, routes, app and
SLO names, display names) goes through :func:`escape` before it reaches a message: afterwards it
cannot mention anyone (``@everyone``, ``@here``, ``<@id>``, ``<@&role>``), link a channel
(``<#id>``), render a masked link (``[x](http://…)``), an auto-link (``http://…``), a code block or
any other formatting. ``allowed_mentions`` (always sent) is the second, independent guard against
pings; escaping also keeps the text looking like what the app wrote.

Limits are Discord's documented ones (``/work/shared/reference.md``, discord-api-docs "Embed
Limits"): a message over any of them is rejected with HTTP 400, so every text is cut to fit with
an ellipsis, and :func:`embeds_size` lets the renderer keep all embeds under 6000 characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBEDS_TOTAL_MAX = 6000
USERS_MAX = 100  # allowed_mentions.users

ELLIPSIS = "…"
ZWSP = "\u200b"

# Characters with a meaning anywhere in Discord markdown; a backslash makes each literal.
# `<` starts mentions, channels, custom emojis and timestamps. (`:emoji:` shortcodes are a
# client-side convenience: the API sends them as typed.)
_SPECIALS = re.compile(r"([\\*_~|`\[\]()<])")
# Meaningful only at the start of a line (headings, lists, quotes); the text is one line.
_LINE_START = re.compile(r"^(?:([#>+-])|(\d+)\.)")
_WHITESPACE = re.compile(r"\s+")
_URL_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*)://")


def escape(text: str) -> str:
    """``text`` made inert: one line, every markdown special escaped, ``@`` broken by a
    zero-width space, URL schemes broken so nothing auto-links."""
    flat = _WHITESPACE.sub(" ", text).strip()
    # Break "scheme://" first (on the raw text), then escape: "http:\u200b//" is not a link.
    flat = _URL_SCHEME.sub(lambda m: f"{m.group(1)}:{ZWSP}//", flat)
    flat = _SPECIALS.sub(r"\\\1", flat)
    flat = _LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\.", flat)
    return flat.replace("@", "@" + ZWSP)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with an ellipsis when cut; an escape
    backslash left dangling by the cut is dropped (it would escape the ellipsis)."""
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    head = text[: limit - 1]
    trailing = len(head) - len(head.rstrip("\\"))
    if trailing % 2:
        head = head[:-1]
    return head + ELLIPSIS


def embed_size(embed: Mapping[str, Any]) -> int:
    """Characters Discord counts toward the 6000 limit: title, description, field names and
    values, footer text, author name."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    for item in embed.get("fields", ()):
        size += len(item.get("name", "")) + len(item.get("value", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    size += len(embed.get("author", {}).get("name", ""))
    return size


def embeds_size(embeds: Sequence[Mapping[str, Any]]) -> int:
    return sum(embed_size(e) for e in embeds)
