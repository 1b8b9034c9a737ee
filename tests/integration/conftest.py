"""Fixtures shared by the integration tests of the console and the incident API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import FakeClock
from tests.support.pipeline import Pipeline, register_pipeline


@pytest.fixture
def pipe(sqlite_url: str, clock: FakeClock) -> Iterator[Pipeline]:
    """The processing side on SQLite with the example register loaded."""
    pipeline = register_pipeline(sqlite_url, clock)
    yield pipeline
    pipeline.close()
