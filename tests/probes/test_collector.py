"""The probe collector's config, generated from the SLO files and checked for drift."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from vigie.cli import app
from vigie.config import load_config
from vigie.config.slo import SloFile
from vigie.probes.collector import OUTPUT, drift, render, url_problems

REPO = Path(__file__).resolve().parents[2]


def slo_file(app_name: str, probes: list[dict[str, object]]) -> SloFile:
    return SloFile.model_validate({
        "app": app_name, "club": "algoets", "probes": probes,
        "slos": [{"name": "up", "objective": 99, "sli": {"kind": "probe"}}],
    })


def test_one_http_check_receiver_per_interval_with_cert_and_body_metrics() -> None:
    files = [
        slo_file("site", [{"url": "https://a.example/?q=$x", "body_contains": "Prix: 5$"},
                          {"url": "http://b.example/health", "interval": "2m",
                           "expect_status": 204}]),
        slo_file("api", [{"url": "https://c.example/", "interval": "30s"}]),
    ]
    config = yaml.safe_load(render(files))
    receivers = config["receivers"]
    assert list(receivers) == ["http_check/30s", "http_check/2m"]
    fast = receivers["http_check/30s"]
    assert fast["collection_interval"] == "30s"
    assert fast["metrics"]["httpcheck.tls.cert_remaining"] == {"enabled": True}
    assert fast["targets"] == [
        # `$` doubled: the collector's config loader reads `$$` as one `$`
        {"endpoint": "https://a.example/?q=$$x", "method": "GET", "timeout": "10s",
         "validations": [{"contains": "Prix: 5$$"}]},
        {"endpoint": "https://c.example/", "method": "GET", "timeout": "10s"},
    ]
    assert receivers["http_check/2m"]["targets"][0]["endpoint"] == "http://b.example/health"
    pipeline = config["service"]["pipelines"]["metrics"]
    assert pipeline["receivers"] == ["http_check/30s", "http_check/2m"]
    assert pipeline["exporters"] == ["otlp"]
    resource = config["processors"]["resource/prober"]["attributes"][0]
    assert (resource["key"], resource["value"]) == ("service.name", "vigie-prober")


def test_the_same_url_in_two_files_is_a_problem() -> None:
    files = [slo_file("site", [{"url": "https://a.example/"}]),
             slo_file("api", [{"url": "https://a.example/"}])]
    [problem] = url_problems(files)
    assert str(problem) == (
        "slo/algoets/api.yaml: probes: a URL is already probed by slo/algoets/site.yaml")


def test_committed_file_is_current_and_drift_is_reported(tmp_path: Path) -> None:
    config = load_config(REPO)
    assert drift(config.slo_files, REPO / OUTPUT) == []
    stale = tmp_path / "probes.yaml"
    stale.write_text(render(config.slo_files).replace("30s", "45s"), encoding="utf-8")
    [problem] = drift(config.slo_files, stale)
    assert problem.file == OUTPUT and problem.line is not None
    assert "run `vigie probes build`" in problem.message


def test_vigie_check_fails_on_a_stale_probe_config_and_build_fixes_it(tmp_path: Path) -> None:
    for part in ("slo", "alerts", "dashboards", "collector_config"):
        shutil.copytree(REPO / part, tmp_path / part)
    site = tmp_path / "slo/algoets/site-web.yaml"
    site.write_text(site.read_text(encoding="utf-8").replace("interval: 30s", "interval: 1m"),
                    encoding="utf-8")
    runner = CliRunner()
    failed = runner.invoke(app, ["check", "--config-dir", str(tmp_path)])
    assert failed.exit_code == 1
    assert f"{OUTPUT}:" in failed.output and "vigie probes build" in failed.output
    built = runner.invoke(app, ["probes", "build", "--config-dir", str(tmp_path)])
    assert built.exit_code == 0, built.output
    assert "http_check/1m" in (tmp_path / OUTPUT).read_text(encoding="utf-8")
    assert runner.invoke(app, ["check", "--config-dir", str(tmp_path)]).exit_code == 0
