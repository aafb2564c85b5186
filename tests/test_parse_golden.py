"""Golden files: a compact summary of each fixture's parse (``test_parse_golden/*.yml``).

Each golden was generated with ``--force-regen`` and then read line by line against its
fixture. Where the parser is wrong, the golden holds the right answer (edited by hand) and
the fixture is marked ``xfail(strict=True)`` with the reason, so that a fix shows up as an
unexpected pass. Regenerate deliberately (``pytest tests/test_parse_golden.py
--force-regen``) and read the diff before keeping it.
"""

from __future__ import annotations

import pytest
from support import SETUP, summary

WRONG = {
    "topical.md": "2.c should start at the `docker ps -a` screenshot (line 23), which the "
                  "parser leaves at the end of 2.b",
}


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=WRONG[name]))
     if name in WRONG else name for name in SETUP],
)
def test_parse_golden(name: str, parse_fixture, data_regression) -> None:
    report = parse_fixture(name)
    data_regression.check(summary(report), basename=name.removesuffix(".md"))
