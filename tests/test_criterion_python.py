"""Cases for the ``python`` criterion (P301): code it must credit and near misses it must
not (hadolint's ``ruleCatches`` / ``ruleCatchesNot`` style)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml
from criteria_support import code_context
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from grader.criteria.base import Context
from grader.criteria.python_code import PythonCode, PythonParams
from grader.models import (
    CodeKind,
    FileKind,
    Judgement,
    SourceFile,
)
from grader.rubric import Question

QUESTION = Question(id="3.a", exercise=3, title="Compléter app.py", points=1.0)

APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health():
    return {"status": "ok"}
"""

SKELETON = """\
# app.py

# TODO: importer FastAPI
from ________ import ________

# TODO: créer une instance FastAPI
app = ________()

# TODO: définir une route GET /health
_____________________
def health():
    return {"status": "ok"}
"""

# Corpus s01: pasted from a word processor, "# TODO" lost its "#", body at column 0.
FLAT_S01 = """\
app.py
TODO: importer FastAPI
from fastapi import FastAPI

TODO: créer une instance FastAPI
app = FastAPI()

TODO: définir une route GET /health
@app.get("/health")
def health(): \n\
return {"status": "ok"}
"""

# Seed 002: a blank line after every line, everything at column 0.
FLAT_SEED = """\
# app.py

# TODO: importer FastAPI

from fastapi import FastAPI

# TODO: créer une instance FastAPI

app = FastAPI()

# TODO: définir une route GET /health

@app.get("/health")

def health():

return {"status": "ok"}
"""


def make_ctx(answer: str | None = None, *, elsewhere: str | None = None,
             sources: tuple[SourceFile, ...] = (), screenshot: bool = False) -> Context:
    """A report whose answer to 3.a holds ``answer`` in a fence, and ``elsewhere`` in
    another section; line numbers are those of the report text built here."""
    return code_context(QUESTION, CodeKind.PYTHON, "python", answer, elsewhere=elsewhere,
                        sources=sources, screenshot="image-3.png" if screenshot else None)


def judge(code: str | None = None, *, ctx: Context | None = None, **params: Any) -> Judgement:
    return PythonCode.judge(PythonParams.model_validate(params), ctx or make_ctx(code))


ROUTE: dict[str, Any] = {"check": "route", "path": "/health", "returns": {"status": "ok"}}


# --- parameters ------------------------------------------------------------------------


def test_params_accept_and_normalise() -> None:
    params = PythonParams.model_validate({"check": "route", "method": "GET", "path": "/health"})
    assert params.method == "get"
    assert PythonParams.model_validate({"check": "fastapi_app"}).check == "fastapi_app"


@pytest.mark.parametrize(("params", "message"), [
    ({"check": "route", "method": "fetch", "path": "/h"}, "use one of"),
    ({"check": "route", "path": "health"}, "must start with '/'"),
    ({"check": "route"}, "needs 'path'"),
    ({"check": "fastapi_app", "path": "/health"}, "only apply to check 'route'"),
    ({"check": "route", "path": "/h", "app": "my-app"}, "not a Python variable name"),
    ({"check": "routes", "path": "/h"}, "route"),
    ({"check": "route", "path": "/h", "verb": "get"}, "Extra inputs"),
])
def test_params_reject_with_a_fix(params: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PythonCode.parse(params)


# --- fastapi_app -----------------------------------------------------------------------


@pytest.mark.parametrize("code", [
    APP,
    "import fastapi\napp = fastapi.FastAPI()\n",
    "import fastapi as fa\napi = fa.FastAPI(title='demo')\n",
    "from fastapi import FastAPI as F\nservice = F()\n",
    "from fastapi import FastAPI, Request\napp: FastAPI = FastAPI()\n",
])
def test_fastapi_app_catches(code: str) -> None:
    assert judge(code, check="fastapi_app").fraction == 1.0


@pytest.mark.parametrize(("code", "fraction", "words"), [
    (SKELETON, 0.0, "squelette"),
    ("from ________ import ________\napp = ________()\n", 0.0, "ni import"),
    ("from fastapi import FastAPI\n", 0.5, "aucune instance"),
    ("from fastapi import FastAPI\ndef make():\n    app = FastAPI()\n    return app\n", 0.5,
     "aucune instance"),
    ("app = FastAPI()\n", 0.5, "pas importé"),
    ("from flask import Flask\napp = Flask(__name__)\n", 0.0, "ni import"),
])
def test_fastapi_app_catches_not(code: str, fraction: float, words: str) -> None:
    judgement = judge(code, check="fastapi_app")
    assert judgement.fraction == fraction
    assert words in (judgement.detail or "")


# --- route -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [
    APP,
    APP.replace("def health", "async def health"),
    APP.replace('return {"status": "ok"}', 'return JSONResponse({"status": "ok"})'),
    APP.replace('return {"status": "ok"}', 'return JSONResponse(content={"status": "ok"})'),
    APP.replace('return {"status": "ok"}', 'return dict(status="ok")'),
    APP.replace('return {"status": "ok"}', 'payload = {"status": "ok"}\n    return payload'),
    APP.replace('return {"status": "ok"}', "return {'status': 'ok'}"),
    APP.replace('"/health"', '"/health/"'),
    APP.replace('"/health"', 'path="/health"'),
    APP.replace('@app.get("/health")', '@app.api_route("/health", methods=["GET"])'),
    "from fastapi import APIRouter\nrouter = APIRouter()\n@router.get('/health')\n"
    "def h():\n    return {'status': 'ok'}\n",
])
def test_route_catches(code: str) -> None:
    judgement = judge(code, **ROUTE)
    assert judgement.fraction == 1.0, judgement.detail
    assert judgement.detail is None


@pytest.mark.parametrize(("code", "fraction", "words"), [
    (APP.replace('"ok"', '"healthy"'), 0.5, "'healthy'"),
    (APP.replace('return {"status": "ok"}', "return status()"), 0.5, "status()"),
    (APP.replace('"/health"', '"/healthz"'), 0.5, "méthode ou chemin"),
    (APP.replace("@app.get", "@app.post"), 0.5, "méthode ou chemin"),
    (APP.replace('"/health"', '"/status"').replace('"ok"', '"up"'), 0.0, "n'est pas la route"),
    (APP.replace('@app.get("/health")\n', ""), 0.0, "décorateur"),
    (SKELETON, 0.0, "squelette"),
    ("from fastapi import FastAPI\napp = FastAPI()\n", 0.0, "aucune route"),
    (APP.replace("@app.get", "@appi.get"), 0.5, "n'est pas l'application"),
])
def test_route_catches_not(code: str, fraction: float, words: str) -> None:
    judgement = judge(code, **ROUTE)
    assert judgement.fraction == fraction
    assert words in (judgement.detail or ""), judgement.detail


def test_route_without_returns_checks_only_path_and_method() -> None:
    code = APP.replace('"ok"', '"healthy"')
    assert judge(code, check="route", path="/health").fraction == 1.0
    assert judge(code.replace("@app.get", "@app.post"), check="route",
                 path="/health").fraction == 0.5


def test_route_app_name_given() -> None:
    code = APP.replace("app", "api")
    assert judge(code, app="api", **ROUTE).fraction == 1.0
    assert judge(APP, app="api", **ROUTE).fraction == 0.5


# --- broken code from reports ----------------------------------------------------------


@pytest.mark.parametrize("code", [
    FLAT_S01,
    FLAT_SEED,
    FLAT_SEED.replace('"', "\u201c", 1).replace('"health"', "\u201c/health\u201d"),
    APP.replace('"', "\u201c").replace("\u201c)", "\u201d)"),
    "Voici mon code :\n" + APP,
])
@pytest.mark.parametrize("check", ["fastapi_app", "route"])
def test_flattened_code_passes_after_repair(code: str, check: str) -> None:
    params = ROUTE if check == "route" else {"check": check}
    judgement = judge(code, **params)
    assert judgement.fraction == 1.0, judgement.detail
    assert "motifs" not in (judgement.detail or "")


def test_unparsable_code_falls_back_to_patterns() -> None:
    code = 'from fastapi import FastAPI\napp = FastAPI(\n@app.get("/health"\ndef health():\n' \
           '    return {"status": "ok"}\n'
    for params in (ROUTE, {"check": "fastapi_app"}):
        judgement = judge(code, **params)
        assert judgement.fraction == 1.0
        assert "motifs" in (judgement.detail or "")
    wrong = judge(code.replace('"ok"', '"ko"'), **ROUTE)
    assert wrong.fraction == 0.5 and "motifs" in (wrong.detail or "")


def test_nested_function_returns_do_not_count() -> None:
    code = APP.replace('    return {"status": "ok"}',
                       '    def inner():\n        return {"status": "ok"}\n    return "ok"')
    assert judge(code, **ROUTE).fraction == 0.5


# --- where the code is -----------------------------------------------------------------


def test_evidence_points_at_the_report_line() -> None:
    ctx = make_ctx(APP)
    judgement = judge(**ROUTE, ctx=ctx)
    (evidence,) = judgement.evidence
    assert evidence.source == "answer"
    assert evidence.text == '@app.get("/health")'
    assert evidence.line is not None
    assert ctx.report.text.split("\n")[evidence.line - 1] == '@app.get("/health")'


def test_code_only_in_a_submission_file() -> None:
    ctx = make_ctx(None, screenshot=True,
                   sources=(SourceFile("api/app.py", FileKind.PYTHON, APP),))
    judgement = judge(**ROUTE, ctx=ctx)
    assert judgement.fraction == 1.0
    assert judgement.evidence[0].source == "file:api/app.py"
    assert judgement.evidence[0].line == 6
    assert "api/app.py" in (judgement.detail or "")


def test_best_candidate_wins_over_the_nearest() -> None:
    wrong = APP.replace('"ok"', '"healthy"')
    ctx = make_ctx(wrong, elsewhere=SKELETON,
                   sources=(SourceFile("api/app.py", FileKind.PYTHON, APP),))
    judgement = judge(**ROUTE, ctx=ctx)
    assert judgement.fraction == 1.0
    assert judgement.evidence[0].source == "file:api/app.py"
    nearest = judge(**ROUTE, ctx=make_ctx(wrong, elsewhere=APP))
    assert nearest.fraction == 1.0 and nearest.evidence[0].source == "report"


def test_app_py_preferred_among_equal_files() -> None:
    ctx = make_ctx(None, sources=(SourceFile("tools/other.py", FileKind.PYTHON, APP),
                                  SourceFile("api/app.py", FileKind.PYTHON, APP)))
    assert judge(**ROUTE, ctx=ctx).evidence[0].source == "file:api/app.py"


def test_nothing_to_read() -> None:
    judgement = judge(**ROUTE, ctx=make_ctx(None, screenshot=True))
    assert judgement.fraction == 0.0
    assert "aucun code Python" in (judgement.detail or "")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*"abcdef(){}[]:=@\"' \n\t#_.,/\u201c", "def ", "return ",
                                 "app", "FastAPI", "@app.get(", "from fastapi import "]),
                max_size=80).map("".join))
def test_never_raises(code: str) -> None:
    for params in (ROUTE, {"check": "fastapi_app"}):
        judgement = judge(code, **params)
        assert 0.0 <= judgement.fraction <= 1.0


def test_documentation_example_is_valid() -> None:
    doc = PythonCode.__doc__ or ""
    assert all(part in doc for part in ("What it does:", "Why:", "Example::"))
    assert PythonCode.summary and "\n" not in PythonCode.summary
    example = doc.split("Example::", 1)[1]
    for item in yaml.safe_load(textwrap.dedent(example)):
        assert item.pop("kind") == PythonCode.kind
        item.pop("missed")
        PythonCode.parse(item)
