"""docker-compose.yml and the manifests run the same images at the same versions, and the
service's image tag is the package's version."""

from __future__ import annotations

import tomllib

import yaml
from tests.deploy.rendered import REPO, Obj, containers, pod_specs

from vigie.deploy import collectors


def _compose_images() -> dict[str, str]:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    return {name: s["image"] for name, s in compose["services"].items()}


def _manifest_images(objects: list[Obj]) -> set[str]:
    images = {c["image"] for o in objects for pod, _ in pod_specs(o) for c in containers(pod)}
    return images | {o["spec"]["image"] for o in objects if o["kind"] == collectors.KIND}


def test_same_images_as_docker_compose(objects: list[Obj]) -> None:
    compose = _compose_images()
    manifests = _manifest_images(objects)
    for service in ("clickhouse", "otel-collector"):
        assert compose[service] in manifests, f"{service}: {compose[service]} not in {manifests}"
    repositories = {image.rsplit(":", 1)[0]: image for image in manifests}
    for image in compose.values():
        repository = image.rsplit(":", 1)[0]
        if repository in repositories:
            assert repositories[repository] == image, "same image, another version"


def test_vigie_image_is_the_package_version(objects: list[Obj]) -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    vigie = {image for image in _manifest_images(objects) if "/vigie:" in image}
    assert vigie == {f"ghcr.io/clubcedille/vigie:{version}"}
