"""The generated transform/pii block: committed configs are current, escaping, the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.collector.otelcol import CONFIG_DIR, CONFIGS, load

from vigie import collector_config as cc
from vigie.ingest.pii_export import collector_blocked_keys, collector_replacements
from vigie.ingest.scrub import load_patterns


@pytest.mark.parametrize("name", CONFIGS)
def test_committed_config_holds_the_current_block(name: str) -> None:
    text = (CONFIG_DIR / name).read_text(encoding="utf-8")
    assert cc.refresh(text, cc.render_block(), source=name) == text, (
        f"{name} is stale: run `python -m vigie.collector_config`"
    )


@pytest.mark.parametrize("name", CONFIGS)
def test_every_config_scrubs_every_signal_before_it_leaves(name: str) -> None:
    config = load(name)
    assert config["processors"][cc.PROCESSOR_NAME] == cc.pii_processor()
    for signal, pipeline in config["service"]["pipelines"].items():
        assert cc.PROCESSOR_NAME in pipeline["processors"], (name, signal)


def test_ottl_string_escapes_backslash_quote_and_dollar() -> None:
    assert cc.ottl_string('a\\b"c${pre}') == '"a\\\\b\\"c$${pre}"'


def test_every_rule_runs_in_order_on_every_field() -> None:
    rules = collector_replacements(load_patterns())
    config = cc.pii_processor()
    span_group = next(g for g in config["trace_statements"] if g["context"] == "span")
    name_statements = [
        s for s in span_group["statements"] if s.startswith("replace_pattern(span.name")
    ]
    assert name_statements == [
        f"replace_pattern(span.name, {cc.ottl_string(r.regex)}, {cc.ottl_string(r.replacement)})"
        for r in rules
    ]
    for signal in ("trace_statements", "log_statements", "metric_statements"):
        for group in config[signal]:
            maps = {
                s.split("(", 1)[1].split(",", 1)[0]
                for s in group["statements"]
                if s.startswith("replace_all_patterns(") and ".cache[" not in s
            }
            texts = {
                s.split("(", 1)[1].split(",", 1)[0]
                for s in group["statements"]
                if s.startswith("replace_pattern(")
            }
            # 5 statements replace sensitive keys' values, then each rule once per field.
            assert len(group["statements"]) == 5 * len(maps) + len(rules) * (len(maps) + len(texts))


def test_every_attribute_map_replaces_sensitive_keys_whole() -> None:
    keys = "|".join(f"(?:{p})" for p in collector_blocked_keys(load_patterns()))
    config = cc.pii_processor()
    for signal in ("trace_statements", "log_statements", "metric_statements"):
        for group in config[signal]:
            keep = [s for s in group["statements"] if s.startswith("keep_matching_keys(")]
            maps = [s for s in group["statements"] if s.startswith("merge_maps(")]
            assert len(keep) == len(maps)
            assert all(s.endswith(f", {cc.ottl_string(keys)})") for s in keep)


def test_refresh_needs_the_markers() -> None:
    with pytest.raises(ValueError, match="no '# BEGIN GENERATED"):
        cc.refresh("processors: {}\n", cc.render_block(), source="x.yaml")


def test_main_rewrites_stale_blocks_and_check_reports_them(tmp_path: Path) -> None:
    for name in CONFIGS:
        shutil.copy(CONFIG_DIR / name, tmp_path / name)
    stale = tmp_path / "gateway.yaml"
    current = stale.read_text(encoding="utf-8")
    stale.write_text(current.replace("[REDACTED:email]", "[REDACTED:old]"), encoding="utf-8")

    assert cc.main(["--dir", str(tmp_path), "--check"]) == 1
    assert "[REDACTED:old]" in stale.read_text(encoding="utf-8")  # --check writes nothing
    assert cc.main(["--dir", str(tmp_path)]) == 0
    assert stale.read_text(encoding="utf-8") == current
    assert cc.main(["--dir", str(tmp_path), "--check"]) == 0
