"""The README's promises: the two commands, and a row for every setting."""

from pathlib import Path

from vigie.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    assert block[0].endswith("vigie demo")
    assert block[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`VIGIE_{name.upper()}`" in README, name


def test_test_modules_have_unique_names() -> None:
    """pytest imports test modules by basename (rootdir mode): a twin shadows the other."""
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted(set(names)) == sorted(names)
