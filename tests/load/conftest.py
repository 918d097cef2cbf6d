"""The reference petstore and the fake model of `benchmarks/load.py`, each in its own process,
started once for the load tests (each test seeds its own orders)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.load import Services, services

LATENCY = 0.01  # seconds per completion of the fake model


@pytest.fixture(scope="session")
def load_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    with services(tmp_path_factory.mktemp("load"), LATENCY) as started:
        yield started
