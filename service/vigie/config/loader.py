"""Reading the config directory: ``alerts/clubs.yaml`` and every ``slo/<club>/<app>.yaml``.

:func:`check_config` lists every problem (YAML syntax, schema, and the rules that span files:
known club, file path matching club and app, unique apps, unique SLO names, unique club ids, no
literal webhook URL under ``alerts/``). :func:`load_config` returns the :class:`Config` only when
there is none.

SLO file names: ``slo/<club>/<app>.yaml``; a file that sets ``environment`` may also be named
``slo/<club>/<app>.<environment>.yaml``, so that one app can have a file per environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vigie.config.clubs import AlertsConfig, Club
from vigie.config.problems import Problem, error_message, validate
from vigie.config.slo import Slo, SloFile
from vigie.config.yaml_source import YamlDocument, YamlSyntaxError, format_loc, parse_yaml
from vigie.errors import ConfigError

CLUBS_FILE = "alerts/clubs.yaml"
SLO_DIR = "slo"
FILE_FIELD = "(file)"

# Discord's webhook URLs (discord.com, discordapp.com, canary/ptb hosts) and any URL naming a
# webhook: a secret in a reviewed file is a leaked secret.
_WEBHOOK_URL_RE = re.compile(r"https?://\S*webhook", re.IGNORECASE)
_LITERAL_URL = (
    "a webhook URL must not be written in the file: secrets are {env: VAR} or {file: /path}"
)


@dataclass(frozen=True)
class Config:
    """A valid configuration: the alert routing and the SLO files."""

    alerts: AlertsConfig
    slo_files: tuple[SloFile, ...]

    @property
    def clubs(self) -> list[Club]:
        return self.alerts.clubs

    def slos(self) -> Iterator[tuple[SloFile, Slo]]:
        """Every SLO with the file (app, club, environment) it belongs to."""
        for slo_file in self.slo_files:
            for slo in slo_file.slos:
                yield slo_file, slo

    def summary(self) -> str:
        """``3 clubs, 5 apps, 9 SLOs``."""
        slo_count = sum(len(f.slos) for f in self.slo_files)
        return f"{len(self.clubs)} clubs, {len(self.slo_files)} apps, {slo_count} SLOs"


def load_config(config_dir: Path) -> Config:
    """The configuration under ``config_dir``; :class:`ConfigError` listing every problem."""
    config, problems = _load(config_dir)
    if problems or config is None:
        listing = "\n".join(str(p) for p in problems)
        raise ConfigError(
            f"{len(problems)} problem(s) in the config under {config_dir}:\n{listing}"
        )
    return config


def check_config(config_dir: Path) -> list[Problem]:
    """Every problem in the configuration under ``config_dir``, by file and line."""
    return _load(config_dir)[1]


def _load(config_dir: Path) -> tuple[Config | None, list[Problem]]:
    alerts, club_ids, problems = _load_clubs(config_dir)
    problems += _literal_urls_elsewhere(config_dir)
    slo_files, slo_problems = _load_slos(config_dir, club_ids)
    problems += slo_problems
    problems.sort(key=lambda p: (p.file, p.line or 0))
    if problems or alerts is None:
        return None, problems
    return Config(alerts, tuple(slo_files)), problems


def _read(config_dir: Path, rel: str) -> tuple[YamlDocument | None, list[Problem]]:
    try:
        text = (config_dir / rel).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(rel, None, FILE_FIELD, "not found")]
    except OSError as exc:
        return None, [Problem(rel, None, FILE_FIELD, f"cannot read: {exc.strerror}")]
    except UnicodeDecodeError:
        return None, [Problem(rel, None, FILE_FIELD, "not UTF-8 text")]
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError as exc:
        return None, [Problem(rel, exc.line, "(yaml)", exc.message)]
    if doc.data is None:
        return None, [Problem(rel, 1, FILE_FIELD, "the file is empty")]
    problems = [
        Problem(rel, dup.line, format_loc(dup.loc), "key written twice") for dup in doc.duplicates
    ]
    return doc, problems


def _item_strings(doc: YamlDocument, list_key: str, key: str) -> Iterator[tuple[int, str, int]]:
    """``(index, value, line)`` of ``doc[list_key][i][key]`` wherever that is a string, valid
    model or not: cross-file rules still run on a file that has other problems."""
    items = doc.data.get(list_key) if isinstance(doc.data, dict) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        value = item.get(key) if isinstance(item, dict) else None
        if isinstance(value, str):
            yield index, value, doc.lines[(list_key, index, key)]


def _unique(doc: YamlDocument, rel: str, list_key: str, key: str, what: str) -> list[Problem]:
    first_line: dict[str, int] = {}
    problems = []
    for index, value, line in _item_strings(doc, list_key, key):
        if value in first_line:
            field = format_loc((list_key, index, key))
            message = f"duplicate {what} {value!r} (first at line {first_line[value]})"
            problems.append(Problem(rel, line, field, message))
        first_line.setdefault(value, line)
    return problems


def _load_clubs(config_dir: Path) -> tuple[AlertsConfig | None, set[str] | None, list[Problem]]:
    """The alert config (if valid), the declared club ids (if readable) and the problems."""
    doc, problems = _read(config_dir, CLUBS_FILE)
    if doc is None:
        return None, None, problems
    for loc, value in doc.scalars():
        # A string under a `webhook` key is reported by the model itself.
        if isinstance(value, str) and _WEBHOOK_URL_RE.search(value) and loc[-1:] != ("webhook",):
            problems.append(Problem(CLUBS_FILE, doc.lines[loc], format_loc(loc), _LITERAL_URL))
    problems += _unique(doc, CLUBS_FILE, "clubs", "id", "club id")
    club_ids = {value for _, value, _ in _item_strings(doc, "clubs", "id")}
    alerts, schema_problems = validate(AlertsConfig, doc, CLUBS_FILE)
    problems += schema_problems
    if alerts is not None:
        for index, club in enumerate(alerts.clubs):
            try:
                alerts.policy_for(club.id)
            except ValidationError as exc:
                line = doc.lines.get(("clubs", index, "policy"), doc.lines[("clubs", index)])
                field = format_loc(("clubs", index, "policy"))
                for error in exc.errors(include_url=False, include_input=False):
                    problems.append(Problem(CLUBS_FILE, line, field, error_message(error)))
    return alerts, club_ids, problems


def _literal_urls_elsewhere(config_dir: Path) -> list[Problem]:
    """Webhook URLs in the other files under ``alerts/`` (read as text: any format)."""
    problems = []
    alerts_dir = config_dir / "alerts"
    paths = sorted(alerts_dir.rglob("*")) if alerts_dir.is_dir() else []
    for path in paths:
        rel = path.relative_to(config_dir).as_posix()
        if not path.is_file() or rel == CLUBS_FILE:
            continue
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            problems.append(Problem(rel, None, FILE_FIELD, f"cannot read: {exc.strerror}"))
            continue
        for number, text in enumerate(lines, start=1):
            if _WEBHOOK_URL_RE.search(text):
                problems.append(Problem(rel, number, "(text)", _LITERAL_URL))
    return problems


def _load_slos(config_dir: Path, club_ids: set[str] | None) -> tuple[list[SloFile], list[Problem]]:
    slo_dir = config_dir / SLO_DIR
    paths = sorted(p for p in slo_dir.rglob("*") if p.is_file()) if slo_dir.is_dir() else []
    files: list[SloFile] = []
    problems: list[Problem] = []
    described: dict[str, list[tuple[str | None, str]]] = {}  # app → (environment, file)
    for path in paths:
        rel = path.relative_to(config_dir).as_posix()
        if path.suffix == ".yml":
            problems.append(Problem(rel, None, FILE_FIELD, "rename to .yaml to have it read"))
            continue
        if path.suffix != ".yaml":
            continue
        doc, file_problems = _read(config_dir, rel)
        problems += file_problems
        if doc is None:
            continue
        problems += _slo_file_rules(doc, rel, path.relative_to(slo_dir), club_ids, described)
        slo_file, schema_problems = validate(SloFile, doc, rel)
        problems += schema_problems
        if slo_file is not None:
            files.append(slo_file)
    return files, problems


def _slo_file_rules(
    doc: YamlDocument,
    rel: str,
    inside: Path,
    club_ids: set[str] | None,
    described: dict[str, list[tuple[str | None, str]]],
) -> list[Problem]:
    """The rules beyond the schema of one SLO file, on its raw data."""
    data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
    problems = _unique(doc, rel, "slos", "name", "SLO name")

    def at(key: str, message: str) -> None:
        problems.append(Problem(rel, doc.lines.get((key,), 1), key, message))

    club, app, environment = data.get("club"), data.get("app"), data.get("environment")
    if len(inside.parts) != 2:
        where = f"{SLO_DIR}/<club>/<app>.yaml"
        problems.append(Problem(rel, None, FILE_FIELD, f"SLO files live in {where}"))
    elif isinstance(club, str) and inside.parts[0] != club:
        at("club", f"is {club!r} but the file is in {SLO_DIR}/{inside.parts[0]}/")
    if isinstance(club, str) and club_ids is not None and club not in club_ids:
        at("club", f"unknown club {club!r}: not declared in {CLUBS_FILE}")
    if not isinstance(app, str) or not (environment is None or isinstance(environment, str)):
        return problems
    expected = [f"{app}.yaml"] + ([] if environment is None else [f"{app}.{environment}.yaml"])
    if len(inside.parts) == 2 and inside.name not in expected:
        at("app", f"is {app!r}: the file should be named {' or '.join(expected)}")
    for other_env, other_rel in described.get(app, []):
        if other_env == environment or other_env is None or environment is None:
            scope = "all environments" if other_env is None else f"environment {other_env}"
            at("app", f"app {app!r} is already described in {other_rel} ({scope})")
            break
    described.setdefault(app, []).append((environment, rel))
    return problems
