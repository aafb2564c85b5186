"""The ``sandbox`` marker: tests that need a Docker engine (``pytest -m "not sandbox"``
leaves them out)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox: needs a Docker engine and the base images "
                                       "(scripts/ci/setup-docker.sh)")
