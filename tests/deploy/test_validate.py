"""Every rendered object validated offline: built-in kinds against the Kubernetes JSON schemas of
a pinned release (kubernetes-validate ships them), custom resources against their CRDs' published
schemas (crd_schemas/), strictly (an unknown field is an error, as with `kubectl apply
--validate=strict`). A kind with no schema either way fails unless listed in UNVALIDATED."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from tests.deploy.rendered import DEPLOY, Obj, build, name_of

KUBERNETES_VERSION = "1.34.0"
CRD_SCHEMAS = Path(__file__).parent / "crd_schemas"
# (apiVersion, kind) accepted without a schema: none today. Argo CD's Application and Argo
# Rollouts' analysis templates have their published schemas in crd_schemas/ like the others.
UNVALIDATED: set[tuple[str, str]] = set()
GATE_TEMPLATE = DEPLOY / "prod/analysis-template.yaml"  # the SLO gate (cluster-scoped)


def _strict(schema: Any) -> Any:
    """The schema with unknown properties rejected wherever the CRD does not preserve them."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@cache
def _crd_validator(api_version: str, kind: str) -> jsonschema.Draft7Validator | None:
    path = CRD_SCHEMAS / f"{api_version.replace('/', '_')}_{kind}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["metadata"] = {"type": "object"}  # the API server's, not the CRD's
    return jsonschema.Draft7Validator(_strict(schema))


def validate(obj: Obj) -> str:
    """'kubernetes', 'crd' or 'unvalidated'; raises on an invalid object."""
    key = (obj["apiVersion"], obj["kind"])
    validator = _crd_validator(*key)
    if validator is not None:
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
        if errors:
            raise AssertionError(f"{name_of(obj)}: " + "; ".join(
                f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors[:5]))
        return "crd"
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        assert key in UNVALIDATED, f"{name_of(obj)}: no schema for {key}; vendor its CRD's"
        return "unvalidated"
    except kubernetes_validate.ValidationError as exc:
        raise AssertionError(f"{name_of(obj)}: {exc}") from None
    return "kubernetes"


def test_every_rendered_object_is_valid(objects: list[Obj]) -> None:
    how = {name_of(o): validate(o) for o in objects}
    assert "unvalidated" not in how.values(), how
    assert how["OpenTelemetryCollector/vigie-agent"] == "crd"


def test_the_argo_applications_render(kustomize: Path) -> None:
    applications = build(kustomize, DEPLOY)
    assert {o["metadata"]["name"] for o in applications} == {"vigie-prod", "vigie-staging"}
    for app in applications:
        assert validate(app) == "crd"
        namespace = app["spec"]["destination"]["namespace"]
        assert app["spec"]["source"]["path"] == f"deploy/{namespace.removeprefix('vigie-')}"
        assert "CreateNamespace=true" in app["spec"]["syncPolicy"]["syncOptions"]
        assert (DEPLOY / app["spec"]["source"]["path"].removeprefix("deploy/")).is_dir()


def test_validation_rejects_broken_objects(rendered: dict[str, list[Obj]]) -> None:
    objects = rendered["prod"]
    deployment = copy.deepcopy(next(o for o in objects if o["kind"] == "Deployment"))
    deployment["spec"]["replicas"] = "one"
    with pytest.raises(AssertionError, match="replicas"):
        validate(deployment)
    collector = copy.deepcopy(next(o for o in objects if o["kind"] == "OpenTelemetryCollector"))
    collector["spec"]["podSecurityContex"] = {}  # a typo: the operator would drop it silently
    with pytest.raises(AssertionError, match="podSecurityContex"):
        validate(collector)
    secret = copy.deepcopy(next(o for o in objects if o["kind"] == "VaultStaticSecret"))
    secret["spec"]["type"] = "kv-v3"
    with pytest.raises(AssertionError, match="type"):
        validate(secret)
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    with pytest.raises(AssertionError, match="no schema"):
        validate(unknown)


def test_the_slo_gate_analysis_template_validates() -> None:
    """deploy/prod/analysis-template.yaml (the gate's ClusterAnalysisTemplate), and the same as a
    namespaced AnalysisTemplate; a misspelt field fails."""
    (template,) = yaml.safe_load_all(GATE_TEMPLATE.read_text(encoding="utf-8"))
    twin = {"AnalysisTemplate": "ClusterAnalysisTemplate",
            "ClusterAnalysisTemplate": "AnalysisTemplate"}
    assert validate(template) == "crd"
    assert validate({**copy.deepcopy(template), "kind": twin[template["kind"]]}) == "crd"
    template["spec"]["metrics"][0]["provider"]["web"]["jsonpath"] = "{$}"  # jsonPath misspelt
    with pytest.raises(AssertionError, match="jsonpath"):
        validate(template)
