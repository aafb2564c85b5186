"""The ``pyfunction`` criterion (P302): checks inside one named Python function.

Pass/fail pairs in the style of hadolint's ruleCatches / ruleCatchesNot.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from grader.criteria import Context
from grader.criteria.python_functions import FunctionParams, PythonFunction, functions
from grader.models import Answer, CodeBlock, CodeKind, CodeOrigin, FileKind, Report, SourceFile
from grader.rubric import Question

QUESTION = Question(id="4.a", exercise=4, title="t")

VALIDATE = '''\
def validate_with_ge(table):
    gdf = ge.from_pandas(df)
    if table == "usage_agg_30d":
        gdf.expect_column_values_to_be_between("watch_hours_30d", min_value=0)
        gdf.expect_column_values_to_be_between("skips_7d", min_value=0)
'''

UPSERT = '''\
def upsert_csv(table, csv_path, key_cols):
    df = pd.read_csv(csv_path)
    sql = f"""
        INSERT INTO {table} ({cols}) SELECT {cols} FROM tmp
        ON CONFLICT ({keys}) DO UPDATE SET {updates}
    """
'''


def context(code: str = "", files: tuple[SourceFile, ...] = ()) -> Context:
    blocks = (CodeBlock(CodeKind.PYTHON, code, (11, 11 + code.count("\n")), CodeOrigin.FENCED),
              ) if code else ()
    answer = Answer("4.a", (10, 20), code, code, code_blocks=blocks)
    report = Report("r.md", code, "tp2", (answer,), code_blocks=blocks)
    return Context(question=QUESTION, answer=answer, report=report, sources=files)


def judge(params: dict, ctx: Context):
    return PythonFunction.judge(PythonFunction.parse(params), ctx)


CATCHES = [
    ({"function": "validate_with_ge", "calls": "expect_column_values_to_be_between",
      "kwargs": {"min_value": 0}}, VALIDATE),
    ({"function": "upsert_csv", "contains": r"ON\s+CONFLICT.*DO\s+UPDATE"}, UPSERT),
    ({"function": "upsert_csv", "calls": "read_csv"}, UPSERT),
    ({"function": "upsert_csv"}, UPSERT),
    # A paste that lost its indentation still yields the function and its calls.
    ({"function": "validate_with_ge", "calls": "expect_column_values_to_be_between",
      "kwargs": {"min_value": 0}},
     "def validate_with_ge(table):\ngdf.expect_column_values_to_be_between(\"x\", min_value=0)\n"),
]
CATCHES_NOT = [
    # The call is there but with another bound.
    ({"function": "validate_with_ge", "calls": "expect_column_values_to_be_between",
      "kwargs": {"min_value": 0}}, VALIDATE.replace("min_value=0", "min_value=1")),
    # DO NOTHING is not an upsert.
    ({"function": "upsert_csv", "contains": r"ON\s+CONFLICT.*DO\s+UPDATE"},
     UPSERT.replace("DO UPDATE SET {updates}", "DO NOTHING")),
    # The right call in the wrong function does not count.
    ({"function": "snapshot_month", "calls": "expect_column_values_to_be_between"}, VALIDATE),
    # No code at all.
    ({"function": "upsert_csv"}, ""),
]


@pytest.mark.parametrize(("params", "code"), CATCHES)
def test_catches(params: dict, code: str) -> None:
    result = judge(params, context(code))
    assert result.fraction == 1, result.detail
    assert result.evidence and result.evidence[0].text.startswith("def ")


@pytest.mark.parametrize(("params", "code"), CATCHES_NOT)
def test_catches_not(params: dict, code: str) -> None:
    result = judge(params, context(code))
    assert result.fraction < 1
    assert result.detail


def test_partial_credit_is_the_share_of_conditions() -> None:
    params = {"function": "upsert_csv", "calls": "read_csv", "contains": "ON CONFLICT.*DO UPDATE"}
    result = judge(params, context(UPSERT.replace("DO UPDATE", "DO NOTHING")))
    assert result.fraction == 0.5
    assert "ON CONFLICT" in (result.detail or "")


def test_wrong_kwargs_detail_says_what_is_missing() -> None:
    result = judge({"function": "validate_with_ge", "calls": "expect_column_values_to_be_between",
                    "kwargs": {"min_value": 0}}, context(VALIDATE.replace("min_value=0", "")))
    assert result.fraction == 0
    assert "sans min_value=0" in (result.detail or "")


def test_function_found_in_a_submission_file() -> None:
    files = (SourceFile("services/prefect/ingest_flow.py", FileKind.PYTHON, UPSERT),)
    result = judge({"function": "upsert_csv", "contains": "DO UPDATE"}, context("", files))
    assert result.fraction == 1
    assert result.evidence[0].source == "file:services/prefect/ingest_flow.py"


def test_evidence_line_is_the_report_line_of_the_def() -> None:
    result = judge({"function": "upsert_csv"}, context("import os\n\n" + UPSERT))
    assert result.evidence[0].line == 11 + 2


@pytest.mark.parametrize("params", [
    {"function": "upsert csv"},
    {"function": "f", "calls": "a.b"},
    {"function": "f", "kwargs": {"min_value": 0}},
    {"function": "f", "contains": "ON CONFLICT ("},
])
def test_invalid_params_are_rubric_errors(params: dict) -> None:
    with pytest.raises(ValidationError):
        FunctionParams.model_validate(params)


def test_functions_reads_nested_and_async_definitions() -> None:
    code = "class A:\n    async def go(self):\n        await run(x=1)\n"
    found = {f.name: f for f in functions(code)}
    assert found["go"].calls == (("run", {"x": 1}),)
