from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from vigie.config import AlertsConfig, SloFile, check_config, load_config
from vigie.config.yaml_source import format_loc
from vigie.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

CLUBS = """\
admins:
  webhook: {env: VIGIE_DISCORD_ADMIN}
clubs:
  - id: algoets
    name: AlgoÉTS
    webhook: {env: VIGIE_DISCORD_ALGOETS}
    captains: ["412345678901234567"]
  - id: cedille
    name: Cédille
    locale: fr
    webhook: {file: /run/secrets/cedille}
"""

SITE_WEB = """\
app: site-web
club: algoets
environment: prod
slos:
  - name: availability
    objective: 99.9
    sli: {kind: availability}
  - name: latency
    objective: 99
    sli: {kind: latency, threshold_ms: 500}
"""

URL = "https://discord.com/api/webhooks/123456789012345678/sekrit-token"


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture()
def config_dir(tmp_path: Path) -> Path:
    write(tmp_path, "alerts/clubs.yaml", CLUBS)
    write(tmp_path, "slo/algoets/site-web.yaml", SITE_WEB)
    return tmp_path


def problems(root: Path) -> list[str]:
    return [str(p) for p in check_config(root)]


def test_the_sample_config_of_the_repository_passes() -> None:
    assert problems(REPO) == []
    config = load_config(REPO)
    apps = sorted(f"{f.club}/{f.app}" for f in config.slo_files)
    assert apps == [
        "algoets/api-concours",
        "algoets/site-web",
        "cedille/forge",
        "cedille/wiki",
        "sonia/portail",
    ]
    assert config.summary().startswith("3 clubs, 5 apps, ")


def test_a_valid_config_loads(config_dir: Path) -> None:
    config = load_config(config_dir)
    assert [c.id for c in config.clubs] == ["algoets", "cedille"]
    assert [(f.app, s.name) for f, s in config.slos()] == [
        ("site-web", "availability"),
        ("site-web", "latency"),
    ]
    assert config.summary() == "2 clubs, 1 apps, 2 SLOs"


def test_yaml_syntax_error_with_its_line(config_dir: Path) -> None:
    write(config_dir, "slo/algoets/site-web.yaml", SITE_WEB.replace("{kind: availability}", "[x"))
    [problem] = problems(config_dir)
    assert problem.startswith("slo/algoets/site-web.yaml:8: (yaml): invalid YAML: ")


def test_unknown_key_with_a_suggestion(config_dir: Path) -> None:
    write(config_dir, "slo/algoets/site-web.yaml", SITE_WEB.replace("threshold_ms", "treshold_ms"))
    assert problems(config_dir) == [
        "slo/algoets/site-web.yaml:10: slos[1].sli.threshold_ms: required key is missing",
        "slo/algoets/site-web.yaml:10: slos[1].sli.treshold_ms: unknown key"
        " (did you mean 'threshold_ms'?)",
    ]


def test_unknown_key_without_a_close_match_lists_the_known_ones(config_dir: Path) -> None:
    write(config_dir, "slo/algoets/site-web.yaml", SITE_WEB + "owner: someone\n")
    assert problems(config_dir) == [
        "slo/algoets/site-web.yaml:11: owner: unknown key"
        " (known keys: version, app, club, environment, slos, probes)",
    ]


def test_unknown_key_that_yaml_1_1_reads_as_a_boolean(config_dir: Path) -> None:
    write(config_dir, "slo/algoets/site-web.yaml", SITE_WEB + "on: true\n")
    assert problems(config_dir) == [
        "slo/algoets/site-web.yaml:11: on: unknown key"
        " (known keys: version, app, club, environment, slos, probes)",
    ]


def test_sli_without_kind(config_dir: Path) -> None:
    write(config_dir, "slo/algoets/site-web.yaml", SITE_WEB.replace("{kind: availability}", "{}"))
    assert problems(config_dir) == [
        "slo/algoets/site-web.yaml:7: slos[0].sli: required key 'kind' is missing"
    ]


def test_wrong_type(config_dir: Path) -> None:
    write(
        config_dir,
        "slo/algoets/site-web.yaml",
        SITE_WEB.replace("objective: 99\n", 'objective: "99"\n'),
    )
    assert problems(config_dir) == [
        "slo/algoets/site-web.yaml:9: slos[1].objective: input should be a valid number"
    ]


def test_objective_outside_0_100(config_dir: Path) -> None:
    text = SITE_WEB.replace("objective: 99.9", "objective: 100").replace(
        "objective: 99\n", "objective: 0\n"
    )
    write(config_dir, "slo/algoets/site-web.yaml", text)
    assert problems(config_dir) == [
        "slo/algoets/site-web.yaml:6: slos[0].objective: input should be less than 100",
        "slo/algoets/site-web.yaml:9: slos[1].objective: input should be greater than 0",
    ]


def test_unknown_window(config_dir: Path) -> None:
    write(
        config_dir,
        "slo/algoets/site-web.yaml",
        SITE_WEB.replace("    objective: 99.9\n", "    objective: 99.9\n    window: 14d\n"),
    )
    assert problems(config_dir) == [
        "slo/algoets/site-web.yaml:7: slos[0].window: input should be '7d', '28d', '30d' or '90d'"
    ]


def test_unsafe_custom_sql(config_dir: Path) -> None:
    custom = "{kind: custom, good: 'countIf(ok) SETTINGS x=1', total: 'count()', source: raw}"
    write(config_dir, "slo/algoets/site-web.yaml", SITE_WEB.replace("{kind: availability}", custom))
    assert problems(config_dir) == [
        "slo/algoets/site-web.yaml:7: slos[0].sli.good:"
        " must be a single expression: SETTINGS is not allowed"
    ]


def test_missing_club(config_dir: Path) -> None:
    write(
        config_dir,
        "slo/sonia/portail.yaml",
        "app: portail\nclub: sonia\nslos:\n" + SITE_WEB.split("slos:\n")[1],
    )
    assert problems(config_dir) == [
        "slo/sonia/portail.yaml:2: club: unknown club 'sonia': not declared in alerts/clubs.yaml"
    ]


def test_path_must_match_club_and_app(config_dir: Path) -> None:
    write(
        config_dir,
        "slo/cedille/site.yaml",
        SITE_WEB.replace("environment: prod", "environment: dev"),
    )
    assert problems(config_dir) == [
        "slo/cedille/site.yaml:1: app: is 'site-web': the file should be named"
        " site-web.yaml or site-web.dev.yaml",
        "slo/cedille/site.yaml:2: club: is 'algoets' but the file is in slo/cedille/",
    ]


def test_path_may_name_the_environment(config_dir: Path) -> None:
    write(
        config_dir,
        "slo/algoets/site-web.dev.yaml",
        SITE_WEB.replace("environment: prod", "environment: dev"),
    )
    assert problems(config_dir) == []


def test_slo_files_live_one_level_under_their_club(config_dir: Path) -> None:
    write(config_dir, "slo/site-web.yaml", SITE_WEB.replace("prod", "dev"))
    write(config_dir, "slo/algoets/extra.yml", SITE_WEB)
    assert problems(config_dir) == [
        "slo/algoets/extra.yml: (file): rename to .yaml to have it read",
        "slo/site-web.yaml: (file): SLO files live in slo/<club>/<app>.yaml",
    ]


def test_duplicate_app(config_dir: Path) -> None:
    write(
        config_dir, "slo/cedille/site-web.yaml", SITE_WEB.replace("club: algoets", "club: cedille")
    )
    assert problems(config_dir) == [
        "slo/cedille/site-web.yaml:1: app: app 'site-web' is already described in"
        " slo/algoets/site-web.yaml (environment prod)"
    ]


def test_an_app_for_all_environments_overlaps_one_for_a_single_environment(
    config_dir: Path,
) -> None:
    write(
        config_dir,
        "slo/cedille/site-web.yaml",
        SITE_WEB.replace("club: algoets", "club: cedille").replace("environment: prod\n", ""),
    )
    assert len(problems(config_dir)) == 1


def test_the_same_app_in_two_environments_is_fine(config_dir: Path) -> None:
    write(config_dir, "slo/algoets/site-web.staging.yaml", SITE_WEB.replace("prod", "staging"))
    assert problems(config_dir) == []


def test_duplicate_slo_name(config_dir: Path) -> None:
    write(
        config_dir,
        "slo/algoets/site-web.yaml",
        SITE_WEB.replace("name: latency", "name: availability"),
    )
    assert problems(config_dir) == [
        "slo/algoets/site-web.yaml:8: slos[1].name: duplicate SLO name 'availability'"
        " (first at line 5)"
    ]


def test_duplicate_key(config_dir: Path) -> None:
    write(
        config_dir,
        "slo/algoets/site-web.yaml",
        SITE_WEB.replace("club: algoets\n", "club: algoets\nclub: algoets\n"),
    )
    assert problems(config_dir) == ["slo/algoets/site-web.yaml:3: club: key written twice"]


def test_literal_webhook_url(config_dir: Path) -> None:
    write(config_dir, "alerts/clubs.yaml", CLUBS.replace("{file: /run/secrets/cedille}", URL))
    assert problems(config_dir) == [
        "alerts/clubs.yaml:11: clubs[1].webhook: expected {env: VARIABLE} or {file: /path}:"
        " a webhook URL is a secret, never written here"
    ]


def test_webhook_url_anywhere_under_alerts(config_dir: Path) -> None:
    write(config_dir, "alerts/clubs.yaml", CLUBS.replace("name: Cédille", f"name: '{URL}'"))
    write(config_dir, "alerts/notes.txt", f"old hook:\n{URL}\n")
    found = problems(config_dir)
    assert found == [
        "alerts/clubs.yaml:9: clubs[1].name: a webhook URL must not be written in the file:"
        " secrets are {env: VAR} or {file: /path}",
        "alerts/notes.txt:2: (text): a webhook URL must not be written in the file:"
        " secrets are {env: VAR} or {file: /path}",
    ]


def test_captain_id_must_be_a_snowflake(config_dir: Path) -> None:
    write(config_dir, "alerts/clubs.yaml", CLUBS.replace('"412345678901234567"', '"@captain"'))
    assert problems(config_dir) == [
        "alerts/clubs.yaml:7: clubs[0].captains[0]:"
        " a Discord user id is 17 to 20 digits (a snowflake), quoted"
    ]


def test_duplicate_club_id(config_dir: Path) -> None:
    write(config_dir, "alerts/clubs.yaml", CLUBS.replace("id: cedille", "id: algoets"))
    assert problems(config_dir) == [
        "alerts/clubs.yaml:8: clubs[1].id: duplicate club id 'algoets' (first at line 4)"
    ]


def test_inconsistent_club_policy(config_dir: Path) -> None:
    write(config_dir, "alerts/clubs.yaml", CLUBS + "    policy: {captain_severities: [ticket]}\n")
    assert problems(config_dir) == [
        "alerts/clubs.yaml:12: clubs[1].policy:"
        " mention_captains_on has page, not in captain_severities"
    ]


def test_missing_required_key_points_at_the_enclosing_mapping(config_dir: Path) -> None:
    write(config_dir, "alerts/clubs.yaml", CLUBS.replace("    name: Cédille\n", ""))
    assert problems(config_dir) == ["alerts/clubs.yaml:8: clubs[1].name: required key is missing"]


def test_missing_and_empty_files(tmp_path: Path) -> None:
    write(tmp_path, "slo/algoets/site-web.yaml", "")
    assert problems(tmp_path) == [
        "alerts/clubs.yaml: (file): not found",
        "slo/algoets/site-web.yaml:1: (file): the file is empty",
    ]


def test_load_config_lists_every_problem_and_no_secret(config_dir: Path) -> None:
    write(config_dir, "alerts/clubs.yaml", CLUBS.replace("{file: /run/secrets/cedille}", URL))
    write(
        config_dir,
        "slo/algoets/site-web.yaml",
        SITE_WEB.replace("objective: 99\n", "objective: 101\n"),
    )
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    message = str(info.value)
    assert "2 problem(s)" in message
    assert "alerts/clubs.yaml:11: clubs[1].webhook" in message
    assert "slo/algoets/site-web.yaml:9: slos[1].objective" in message
    assert "sekrit" not in message


def _scalar_locations(
    value: object, loc: tuple[str | int, ...] = ()
) -> list[tuple[str | int, ...]]:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _scalar_locations(v, (*loc, k))]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _scalar_locations(v, (*loc, i))]
    return [loc]


SAMPLE_CLUBS = yaml.safe_load((REPO / "alerts/clubs.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("loc", _scalar_locations(SAMPLE_CLUBS), ids=format_loc)
def test_a_url_pasted_anywhere_in_the_alert_file_is_reported_never_repeated(
    tmp_path: Path, loc: tuple[str | int, ...]
) -> None:
    data = copy.deepcopy(SAMPLE_CLUBS)
    target = data
    for part in loc[:-1]:
        target = target[part]
    target[loc[-1]] = URL
    write(tmp_path, "alerts/clubs.yaml", yaml.safe_dump(data, allow_unicode=True))
    for rel in ("slo/algoets/site-web.yaml", "slo/sonia/portail.yaml"):
        write(tmp_path, rel, (REPO / rel).read_text(encoding="utf-8"))
    found = problems(tmp_path)
    assert any(f": {format_loc(loc)}: " in p and "webhook URL" in p for p in found), found
    assert not any("sekrit" in p for p in found)


def test_loaded_models_dump_to_data_that_loads_again() -> None:
    config = load_config(REPO)
    assert AlertsConfig.model_validate(config.alerts.model_dump(mode="json")) == config.alerts
    for slo_file in config.slo_files:
        assert SloFile.model_validate(slo_file.model_dump(mode="json")) == slo_file


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_an_unknown_key_is_reported_on_its_own_line(data: st.DataObject) -> None:
    """Wherever a mapping of a valid SLO file gets a stray key, the problem names its line."""
    doc = yaml.safe_load(SITE_WEB)
    mappings: list[dict[str, object]] = [doc, *doc["slos"], *(s["sli"] for s in doc["slos"])]
    target = data.draw(st.sampled_from(mappings))
    target["zz_stray"] = data.draw(st.integers() | st.text(max_size=5) | st.booleans())
    text = yaml.safe_dump(doc, default_flow_style=data.draw(st.sampled_from([False, None])))
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "zz_stray" in t)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write(root, "alerts/clubs.yaml", CLUBS)
        write(root, "slo/algoets/site-web.yaml", text)
        [problem] = check_config(root)
    assert (problem.line, problem.field.rsplit(".", 1)[-1]) == (line, "zz_stray")
    assert problem.message.startswith("unknown key")
