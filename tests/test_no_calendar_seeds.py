"""No test seeds the store at a calendar date: tables have TTLs, and a fixed instant ages out.

The suite once failed every day from a week after ``END = datetime(2026, 11, 20, 12, 0, …)``
in a conftest that seeded telemetry: the activity rollup keeps 7 days. So a test module that
writes to the store, or that such a module imports, may hold no calendar-date literal
(``datetime(2026, …)``, ``"2026-11-20…"``) unless the line, or the comment line right above
it, says ``fixed date: <why nothing stored depends on it>``. Seed relative to the engine's
clock instead (``SELECT now()``). Pure modules that store nothing may use any date.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

TESTS = Path(__file__).resolve().parent

DATE = re.compile(r"\b(?:datetime|date)\(\s*(?:19|20)\d\d\s*,|[\"'](?:19|20)\d\d-[01]\d-[0-3]\d")
# Over-inclusive on purpose: a module that merely mentions the store is checked too.
STORES = re.compile(r"\b(?:Store|IncidentStore|insert_traffic|store|seeded|db|chdb_dir)\b")
IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)
MARK = "fixed date:"


def offenders(sources: Mapping[str, str]) -> list[str]:
    """``path:line: text`` of every unmarked date in a module that stores or feeds one."""
    by_name = {_name(path): path for path in sources}
    checked = {path for path, text in sources.items() if STORES.search(text)}
    for path in list(checked):
        for match in IMPORT.finditer(sources[path]):
            imported = by_name.get((match.group(1) or match.group(2)).split(".")[-1])
            if imported is not None:
                checked.add(imported)
    found = []
    for path in sorted(checked):
        lines = sources[path].splitlines()
        for number, line in enumerate(lines, start=1):
            above = lines[number - 2] if number > 1 else ""
            if DATE.search(line) and MARK not in line and MARK not in above:
                found.append(f"{path}:{number}: {line.strip()}")
    return found


def _name(path: str) -> str:
    return Path(path).stem


def test_no_test_module_seeds_at_a_calendar_date() -> None:
    sources = {str(p.relative_to(TESTS.parent)): p.read_text(encoding="utf-8")
               for p in TESTS.rglob("*.py") if p != Path(__file__).resolve()}
    assert offenders(sources) == []


def test_the_guard_catches_the_seed_that_broke_the_suite() -> None:
    conftest = (
        "END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)\n"
        "def _seed(store: Store) -> None:\n"
        "    insert_traffic(store, start=END - timedelta(hours=3))\n"
    )
    assert offenders({"tests/dashboards/conftest.py": conftest}) == [
        "tests/dashboards/conftest.py:1: END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)"
    ]
    # A builder module with a fixed date, imported by a module that stores: caught too.
    builders = 'T0 = datetime.fromisoformat("2026-11-20T15:00:00+00:00")\n'
    user = "from incident_builders import T0\n\ndef test_x(store: Store) -> None: ...\n"
    assert offenders({"tests/i/incident_builders.py": builders, "tests/i/test_x.py": user}) == [
        'tests/i/incident_builders.py:1: T0 = datetime.fromisoformat("2026-11-20T15:00:00+00:00")'
    ]
    # Marked, or in a module that stores nothing: allowed.
    marked = "# fixed date: refused input, nothing stored\n" + conftest.splitlines()[0] + "\nstore"
    assert offenders({"a.py": marked, "b.py": conftest.splitlines()[0]}) == []
