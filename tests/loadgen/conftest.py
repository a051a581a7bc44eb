from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.loadgen.sink import Sink, running_sink


@pytest.fixture()
def sink() -> Iterator[Sink]:
    with running_sink() as s:
        yield s
