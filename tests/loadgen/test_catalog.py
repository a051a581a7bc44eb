from __future__ import annotations

import pytest

from vigie.loadgen.catalog import SAMPLE_APPS, select_apps


def test_sample_apps_are_the_clubs_of_the_sample_configuration() -> None:
    assert [a.key for a in SAMPLE_APPS] == [
        "algoets/site-web",
        "algoets/api-concours",
        "cedille/wiki",
        "cedille/forge",
        "sonia/portail",
    ]


def test_resource_names_the_club_namespace_and_version() -> None:
    app = SAMPLE_APPS[0]
    resource = app.resource("9.9.9")
    assert resource["service.name"] == "site-web"
    assert resource["service.version"] == "9.9.9"
    assert resource["deployment.environment.name"] == "prod"
    assert resource["k8s.namespace.name"] == resource["club"] == "algoets"


def test_select_apps_keeps_order_given_and_drops_repeats() -> None:
    chosen = select_apps(["sonia/portail", "cedille/wiki", "sonia/portail"])
    assert [a.key for a in chosen] == ["sonia/portail", "cedille/wiki"]
    assert select_apps([]) == SAMPLE_APPS
    assert select_apps(None) == SAMPLE_APPS


def test_select_apps_names_the_unknown_app() -> None:
    with pytest.raises(ValueError, match="cedille/nope"):
        select_apps(["cedille/wiki", "cedille/nope"])
