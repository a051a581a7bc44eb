"""service/Dockerfile, checked without a container engine: it parses, every stage starts from a
pinned image, what it copies exists, and the final image runs as a numeric non-root user (so
that Kubernetes' runAsNonRoot can verify it) with the command the manifests expect."""

from __future__ import annotations

import json
import re

from dockerfile_parse import DockerfileParser
from tests.deploy.rendered import REPO

DOCKERFILE = REPO / "service/Dockerfile"
PINNED_BASE = r"[a-z0-9./-]+:[0-9]+\.[0-9]+\.[0-9]+[a-z0-9.-]*(@sha256:[0-9a-f]{64})?"
KNOWN = {"FROM", "WORKDIR", "COPY", "RUN", "ENV", "USER", "EXPOSE", "HEALTHCHECK",
         "ENTRYPOINT", "CMD", "ARG", "LABEL", "COMMENT"}


def _parsed() -> DockerfileParser:
    parser = DockerfileParser(path=str(DOCKERFILE), cache_content=True)
    parser.content = DOCKERFILE.read_text(encoding="utf-8")
    return parser


def test_every_instruction_is_known() -> None:
    for instruction in _parsed().structure:
        assert instruction["instruction"] in KNOWN, instruction


def test_base_images_are_pinned() -> None:
    parser = _parsed()
    stages = [i["value"] for i in parser.structure if i["instruction"] == "FROM"]
    assert len(stages) == 2
    for value in stages:
        image = value.split()[0]
        assert re.fullmatch(PINNED_BASE, image), image


def test_copied_sources_exist() -> None:
    for instruction in _parsed().structure:
        if instruction["instruction"] == "COPY" and "--from=" not in instruction["value"]:
            *sources, _ = instruction["value"].split()
            for source in sources:
                assert (REPO / source).exists(), source


def test_final_stage_runs_as_numeric_non_root_user() -> None:
    structure = _parsed().structure
    last_from = max(i for i, ins in enumerate(structure) if ins["instruction"] == "FROM")
    users = [ins["value"] for ins in structure[last_from:] if ins["instruction"] == "USER"]
    assert users, "the final stage must set USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0 and (not gid or int(gid) != 0)
    entrypoint = next(i["value"] for i in structure if i["instruction"] == "ENTRYPOINT")
    assert json.loads(entrypoint) == ["vigie"]
    assert "8000" in next(i["value"] for i in structure if i["instruction"] == "EXPOSE")
