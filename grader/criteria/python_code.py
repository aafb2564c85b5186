"""The ``python`` criterion kind (P301): checks on the student's FastAPI code, read with ``ast``.

The code is never executed. Reports often hold it flattened by a word processor
(every line at column 0, ``TODO:`` comments turned into plain text, curly quotes);
such code is repaired before parsing, and when even the repair does not parse the
same checks run on regular expressions (the feedback says so).
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from pydantic import field_validator, model_validator

from grader.criteria.base import (
    Context,
    Criterion,
    Params,
    best_candidate,
    no_code_found,
    report_line,
    where,
)
from grader.models import CodeKind, Evidence, FileKind, Judgement

_METHODS = ("get", "post", "put", "delete", "patch", "head", "options")
_PREFERRED_FILES = ("app.py", "main.py")
_MAX_TEXT = 100_000
_SKELETON_LINES = 3
"""A candidate with blanks (``________``) on this many lines is the statement's skeleton."""
_NEWLINE = re.compile(r"\r\n|\r|\n")
_PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9])_{4,}(?![A-Za-z0-9])")
_TYPOGRAPHY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'",
                             "\u2019": "'", "\u00a0": " ", "\t": "    "})
_FILENAME = re.compile(r"^#*\s*[\w./-]+\.py\s*:?$")
_TODO = re.compile(r"^(?:TODO|FIXME|XXX|NOTE)\b(?!\s*=)|^(?i:[àa] faire)\s*:")
_STATEMENT = re.compile(
    r"^(?:@|#|(?:def|async|class|return|import|from|if|elif|else|for|while|try|except|finally|"
    r"with|pass|raise|yield|await|global|nonlocal|assert|del|break|continue)\b)")
_TOP_LEVEL = re.compile(r"^(?:@|def\b|async\s+def\b|class\b|import\b|from\b|if\s+__name__\b)")
_DEDENT_AFTER = re.compile(r"^(?:return|raise|pass|break|continue)\b")
_CONTINUES = re.compile(r"^(?:else|elif|except|finally)\b")
_RESPONSES = ("JSONResponse", "ORJSONResponse", "UJSONResponse", "jsonable_encoder")

_RE_IMPORT = re.compile(r"^\s*(?:from\s+fastapi\s+import\s+[^#]*\bFastAPI\b|import\s+fastapi\b)")
_RE_APP = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?::\s*[\w.]+\s*)?=\s*((?:\w+\.)?FastAPI)\s*\(")
_RE_ROUTE = re.compile(
    r"^\s*@\s*([A-Za-z_]\w*)\s*\.\s*(\w+)\s*\(\s*(?:path\s*=\s*)?([\"'])(.*?)\3")
_RE_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)")
_RE_RETURN = re.compile(r"^\s*return\s+(.+?)\s*$")


@dataclass(frozen=True, slots=True)
class _Route:
    target: str
    """The object the decorator is called on (``app``, ``router``)."""
    method: str
    path: str | None
    line: int
    """0-based line of the decorator in the text as written."""
    function: str
    payloads: tuple[tuple[object, str], ...]
    """What the function returns: (literal value or ``None``, source text)."""


@dataclass(frozen=True, slots=True)
class _Facts:
    how: Literal["ast", "repaired", "regex"]
    import_line: int | None
    apps: tuple[tuple[str, int, bool], ...]
    """Module-level ``X = FastAPI()``: name, 0-based line, whether FastAPI was imported."""
    routers: tuple[str, ...]
    routes: tuple[_Route, ...]
    loose: tuple[_Route, ...]
    """Functions with no route decorator (method and path empty), for feedback."""


class PythonParams(Params):
    check: Literal["fastapi_app", "route"]
    method: str = "get"
    path: str | None = None
    returns: dict[str, Any] | None = None
    app: str | None = None

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        method = value.strip().lower()
        if method not in _METHODS:
            raise ValueError(f"unknown HTTP method {value!r}; use one of: {', '.join(_METHODS)}")
        return method

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"path {value!r} must start with '/', e.g. '/health'")
        return value

    @field_validator("app")
    @classmethod
    def _app(cls, value: str | None) -> str | None:
        if value is not None and not value.isidentifier():
            raise ValueError(f"app {value!r} is not a Python variable name; write e.g. 'app'")
        return value

    @model_validator(mode="after")
    def _per_check(self) -> PythonParams:
        if self.check == "route" and self.path is None:
            raise ValueError("check 'route' needs 'path' (e.g. path: /health); add it")
        if self.check == "fastapi_app":
            extra = [k for k in ("path", "returns", "app") if getattr(self, k) is not None]
            if extra or self.method != "get":
                keys = ", ".join(extra or ["method"])
                raise ValueError(f"{keys} only apply to check 'route'; remove them "
                                 "or use check: route")
        return self


class PythonCode(Criterion):
    """Checks the student's FastAPI code without running it.

    What it does:
        Reads Python code (the answer's blocks first, then the rest of the report,
        then the submission's ``.py`` files, ``app.py``/``main.py`` first) with
        ``ast``. ``check: fastapi_app`` wants ``from fastapi import FastAPI`` (or
        ``import fastapi``) and a module-level ``X = FastAPI(...)``. ``check: route``
        wants a function decorated ``@X.<method>(<path>)`` whose return value is the
        ``returns`` dict (a dict literal, ``dict(...)`` or ``JSONResponse(...)``); the
        right route with the wrong payload, or the right payload on another path or
        method, earns half. Flattened code (indentation lost, ``TODO:`` lines) is
        repaired first; as a last resort regular expressions decide. The lab
        statement's skeleton (``from ________ import ________``) earns nothing.

    Why:
        Students paste their code in many shapes; grading what the code means,
        not how it is laid out, gives the same mark to the same program.

    Example::

        - kind: python
          check: route
          method: get
          path: /health
          returns: {status: ok}
          missed: "La route GET /health doit renvoyer {\\"status\\": \\"ok\\"}."
    """

    kind = "python"
    code = "P301"
    Params = PythonParams
    summary = "Python code read with ast: FastAPI app object, route and its return value"

    @classmethod
    def judge(cls, params: PythonParams, ctx: Context) -> Judgement:
        best = best_candidate((_judge_text(params, text, evidence, ctx), text)
                              for text, evidence in _candidates(ctx) if len(text) <= _MAX_TEXT)
        return no_code_found("code Python") if best is None else best[0]


def _judge_text(params: PythonParams, text: str, evidence: Evidence, ctx: Context) -> Judgement:
    if _skeleton(text):
        return _verdict(0.0, evidence, "le squelette de l'énoncé n'est pas complété "
                        "(blancs ________)")
    facts = _analyse(text)
    if params.check == "fastapi_app":
        return _judge_app(facts, text, evidence, ctx)
    return _judge_route(params, facts, text, evidence, ctx)


def _candidates(ctx: Context) -> list[tuple[str, Evidence]]:
    found = list(ctx.code(CodeKind.PYTHON, file_kinds=(FileKind.PYTHON,)))

    def rank(item: tuple[str, Evidence]) -> int:
        source = item[1].source
        if not source.startswith("file:"):
            return 0
        return 1 if source.rsplit("/", 1)[-1] in _PREFERRED_FILES else 2

    return sorted(found, key=rank)


def _skeleton(text: str) -> bool:
    return sum(1 for line in _NEWLINE.split(text) if _PLACEHOLDER.search(line)) >= _SKELETON_LINES


def _locate(ctx: Context, base: Evidence, text: str, index: int | None) -> Evidence:
    """Evidence pointing at line ``index`` (0-based) of ``text``, in the report or the file."""
    lines = _NEWLINE.split(text)
    if index is None or not 0 <= index < len(lines) or not lines[index].strip():
        return base
    snippet = lines[index].strip()
    if base.source.startswith("file:"):
        return Evidence(snippet[:120], base.source, index + 1)
    line = base.line
    if line is not None:
        line = report_line(ctx.report.text, line, lines, index) or line
    return Evidence(snippet[:120], base.source, line)




def _verdict(fraction: float, evidence: Evidence, detail: str | None = None,
             note: str | None = None) -> Judgement:
    """A judgement whose detail says what is missing and where, or where it was found when
    that is not the answer itself."""
    if fraction >= 1:
        found = None if evidence.source == "answer" else f"trouvé {where(evidence)}"
        parts = [found, note]
    else:
        parts = [f"{detail}, {where(evidence)}", note]
    return Judgement(fraction, (evidence,), "; ".join(p for p in parts if p) or None)


# --- judging ---------------------------------------------------------------------------


def _regex_note(facts: _Facts) -> str | None:
    if facts.how == "regex":
        return "code illisible comme Python même après réparation : vérifié par motifs"
    return None


def _judge_app(facts: _Facts, text: str, base: Evidence, ctx: Context) -> Judgement:
    note = _regex_note(facts)
    imported = [app for app in facts.apps if app[2]]
    if imported:
        return _verdict(1.0, _locate(ctx, base, text, imported[0][1]), note=note)
    if facts.apps:
        name, line, _ = facts.apps[0]
        return _verdict(0.5, _locate(ctx, base, text, line),
                        f"{name} = FastAPI() est créé mais FastAPI n'est pas importé "
                        "(from fastapi import FastAPI manque)", note)
    if facts.import_line is not None:
        return _verdict(0.5, _locate(ctx, base, text, facts.import_line),
                        "FastAPI est importé mais aucune instance n'est créée au niveau du "
                        "module (app = FastAPI() manque)", note)
    return _verdict(0.0, base, "ni import de FastAPI ni instance app = FastAPI()", note)


def _norm_path(path: str | None) -> str | None:
    if path is None:
        return None
    path = path.strip()
    return path.rstrip("/") or "/"


def _show(payloads: tuple[tuple[object, str], ...]) -> str:
    return " ou ".join(text for _, text in payloads[:2]) or "rien"


def _judge_route(params: PythonParams, facts: _Facts, text: str, base: Evidence,
                 ctx: Context) -> Judgement:
    note = _regex_note(facts)
    want_path = _norm_path(params.path)
    want = f"{params.method.upper()} {params.path}"
    targets = {params.app} if params.app else {a[0] for a in facts.apps} | set(facts.routers)
    best: tuple[float, str, _Route | None] = (0.0, f"aucune route {want}", None)
    for route in facts.routes:
        on_app = not targets or route.target in targets
        path_ok = _norm_path(route.path) == want_path
        method_ok = route.method == params.method
        payload_ok = params.returns is None or any(
            value == params.returns for value, _ in route.payloads)
        label = f"@{route.target}.{route.method}({route.path!r})"
        if path_ok and method_ok and payload_ok and on_app:
            return _verdict(1.0, _locate(ctx, base, text, route.line), note=note)
        if path_ok and method_ok and payload_ok:
            score, detail = 0.5, (f"la route {label} est déclarée sur {route.target}, qui "
                                  f"n'est pas l'application ({', '.join(sorted(targets))})")
        elif path_ok and method_ok:
            score, detail = 0.5, (f"la route {want} existe mais renvoie "
                                  f"{_show(route.payloads)} au lieu de {params.returns}")
        elif payload_ok and (path_ok or params.returns is not None):
            score, detail = 0.5, (f"{label} n'est pas la route attendue {want} "
                                  "(méthode ou chemin différent)")
        else:
            score, detail = 0.0, f"{label} n'est pas la route attendue {want}"
        if score > best[0] or best[2] is None:
            best = (score, detail, route)
    score, detail, closest = best
    if closest is None and params.returns is not None:
        for loose in facts.loose:
            if any(value == params.returns for value, _ in loose.payloads):
                return _verdict(0.0, _locate(ctx, base, text, loose.line),
                                f"{loose.function}() renvoie bien {params.returns} mais aucun "
                                f"décorateur @app.{params.method}({params.path!r}) n'en fait "
                                "une route", note)
    evidence = _locate(ctx, base, text, closest.line) if closest is not None else base
    return _verdict(score, evidence, detail, note)


# --- reading the code ------------------------------------------------------------------


@lru_cache(maxsize=256)
def _analyse(text: str) -> _Facts:
    """What the code declares; ``ast`` first, then a repair, then regular expressions."""
    tree = _parse(textwrap.dedent(text))
    if tree is not None:
        return _from_tree(tree, list(range(len(_NEWLINE.split(text)))), "ast")
    cleaned = _clean(text)
    for lines in (cleaned, _reindent(cleaned)):
        tree = _parse("\n".join(line for _, line in lines))
        if tree is not None:
            return _from_tree(tree, [index for index, _ in lines], "repaired")
    return _from_regex(cleaned)


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _depth(line: str) -> int:
    """Brackets opened minus closed, strings ignored (roughly)."""
    line = re.sub(r"\"[^\"]*\"|'[^']*'|#.*$", "", line)
    return sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")


def _clean(text: str) -> list[tuple[int, str]]:
    """Lines worth keeping with their original index: no blanks, file names, ``TODO``
    lines or prose; curly quotes straightened."""
    kept: list[tuple[int, str]] = []
    depth = 0
    for index, raw in enumerate(_NEWLINE.split(text)):
        line = raw.translate(_TYPOGRAPHY).rstrip()
        stripped = line.strip()
        if not stripped:
            continue
        if depth <= 0 and not _STATEMENT.match(stripped) and (
                _FILENAME.match(stripped) or _TODO.match(stripped) or _prose(stripped)):
            continue
        depth = max(0, depth + _depth(stripped))
        kept.append((index, line))
    return kept


def _prose(stripped: str) -> bool:
    if stripped.endswith(":"):
        return True
    if _parse(stripped) is not None:
        return False
    return _depth(stripped) <= 0


def _reindent(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Rebuild indentation lost by a word processor: bodies after ``:``, dedent after
    ``return``, top-level statements (``def``, ``@``, imports) back at column 0."""
    out: list[tuple[int, str]] = []
    level = depth = 0
    opened = False
    for index, line in lines:
        stripped = line.strip()
        if depth > 0:
            out.append((index, "    " * (level + 1) + stripped))
            depth = max(0, depth + _depth(stripped))
            continue
        if stripped.startswith("#"):
            out.append((index, "    " * level + stripped))
            continue
        if _TOP_LEVEL.match(stripped) and not opened:
            level = 0
        elif _CONTINUES.match(stripped):
            level = max(0, level - 1)
        out.append((index, "    " * level + stripped))
        depth = max(0, _depth(stripped))
        code = re.sub(r"\s+#.*$", "", stripped)
        opened = code.endswith(":") and depth == 0
        if opened:
            level += 1
        elif _DEDENT_AFTER.match(stripped) and level > 0:
            level -= 1
    return out


def _from_tree(tree: ast.Module, origin: list[int], how: Literal["ast", "repaired"]) -> _Facts:
    def line_of(node: ast.AST) -> int:
        number = getattr(node, "lineno", 1) - 1
        return origin[number] if 0 <= number < len(origin) else 0

    classes: set[str] = set()
    routers: set[str] = set()
    modules: set[str] = set()
    import_line: int | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "fastapi":
            for alias in node.names:
                if alias.name in ("FastAPI", "*"):
                    classes.add(alias.asname or "FastAPI")
                    import_line = line_of(node) if import_line is None else import_line
                elif alias.name == "APIRouter":
                    routers.add(alias.asname or "APIRouter")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "fastapi":
                    modules.add(alias.asname or "fastapi")
                    import_line = line_of(node) if import_line is None else import_line
    apps: list[tuple[str, int, bool]] = []
    router_names: list[str] = []
    for node in tree.body:
        names, value = _assignment(node)
        if not isinstance(value, ast.Call):
            continue
        func = value.func
        if isinstance(func, ast.Name) and func.id in classes | {"FastAPI"}:
            apps.extend((name, line_of(node), func.id in classes) for name in names)
        elif isinstance(func, ast.Attribute) and func.attr == "FastAPI":
            imported = isinstance(func.value, ast.Name) and func.value.id in modules
            apps.extend((name, line_of(node), imported) for name in names)
        elif (isinstance(func, ast.Name) and func.id in routers | {"APIRouter"}) or (
                isinstance(func, ast.Attribute) and func.attr == "APIRouter"):
            router_names.extend(names)
    routes: list[_Route] = []
    loose: list[_Route] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        payloads = _payloads(node)
        declared = [route for decorator in node.decorator_list
                    for route in _routes_of(decorator, node.name, payloads, line_of(decorator))]
        routes.extend(declared)
        if not declared:
            loose.append(_Route("", "", None, line_of(node), node.name, payloads))
    return _Facts(how, import_line, tuple(apps), tuple(router_names), tuple(routes), tuple(loose))


def _assignment(node: ast.stmt) -> tuple[list[str], ast.expr | None]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)], node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id], node.value
    return [], None


def _routes_of(decorator: ast.expr, function: str, payloads: tuple[tuple[object, str], ...],
               line: int) -> list[_Route]:
    """The routes a decorator declares: ``@app.get(...)``, or one per method of
    ``@app.api_route(..., methods=[...])``."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and isinstance(decorator.func.value, ast.Name)):
        return []
    attr = decorator.func.attr
    methods = [attr] if attr in _METHODS else []
    if attr == "api_route":
        methods = ["get"]
        for keyword in decorator.keywords:
            value = _literal(keyword.value) if keyword.arg == "methods" else None
            if isinstance(value, list | tuple) and value:
                methods = [str(method).lower() for method in value]
    path_node = decorator.args[0] if decorator.args else next(
        (k.value for k in decorator.keywords if k.arg == "path"), None)
    path = _literal(path_node)
    return [_Route(decorator.func.value.id, method, path if isinstance(path, str) else None,
                   line, function, payloads) for method in methods]


def _own_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """Nodes of a function's body, nested functions and classes excluded."""
    scopes = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
    nodes: list[ast.AST] = []
    stack: list[ast.AST] = [node for node in function.body if not isinstance(node, scopes)]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(child for child in ast.iter_child_nodes(node)
                     if not isinstance(child, scopes))
    return nodes


def _payloads(function: ast.FunctionDef | ast.AsyncFunctionDef
              ) -> tuple[tuple[object, str], ...]:
    nodes = _own_nodes(function)
    names: dict[str, tuple[object, str]] = {}
    for node in nodes:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            names[node.targets[0].id] = _payload(node.value, {})
    returns = sorted((n for n in nodes if isinstance(n, ast.Return) and n.value is not None),
                     key=lambda n: n.lineno)
    return tuple(_payload(n.value, names) for n in returns if n.value is not None)


def _payload(node: ast.expr, names: dict[str, tuple[object, str]]) -> tuple[object, str]:
    """(literal value or ``None``, source text) of a returned expression."""
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        if name in _RESPONSES:
            content = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "content"), None)
            if content is not None:
                return _payload(content, names)
        if name == "dict" and len(node.args) <= 1:
            base = _payload(node.args[0], names)[0] if node.args else {}
            built = dict(base) if isinstance(base, dict) else None
            for keyword in node.keywords:
                value = _literal(keyword.value)
                if built is None or keyword.arg is None or value is _OPAQUE:
                    built = None
                    break
                built[keyword.arg] = value
            if built is not None:
                return built, _source(node)
    value = _literal(node)
    return (None if value is _OPAQUE else value), _source(node)


_OPAQUE = object()


def _literal(node: ast.expr | None) -> object:
    if node is None:
        return _OPAQUE
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _OPAQUE


def _source(node: ast.expr) -> str:
    try:
        return ast.unparse(node)[:80]
    except (ValueError, RecursionError):
        return "?"


def _from_regex(lines: list[tuple[int, str]]) -> _Facts:
    """Last resort for code that does not parse: the same facts from patterns."""
    import_line: int | None = None
    apps: list[tuple[str, int, bool]] = []
    routes: list[_Route] = []
    loose: list[_Route] = []
    pending: list[tuple[str, str, str, int]] = []
    function: tuple[str, int] | None = None
    for index, line in lines:
        if import_line is None and _RE_IMPORT.match(line):
            import_line = index
        if match := _RE_APP.match(line):
            apps.append((match.group(1), index, import_line is not None))
        elif match := _RE_ROUTE.match(line):
            if match.group(2) in _METHODS:
                pending.append((match.group(1), match.group(2), match.group(4), index))
        elif match := _RE_DEF.match(line):
            function = (match.group(1), index)
        elif (match := _RE_RETURN.match(line)) and function is not None:
            payload = _regex_payload(match.group(1))
            if pending:
                routes.extend(_Route(t, m, p, i, function[0], (payload,))
                              for t, m, p, i in pending)
            else:
                loose.append(_Route("", "", None, function[1], function[0], (payload,)))
            pending, function = [], None
    routes.extend(_Route(t, m, p, i, "", ()) for t, m, p, i in pending)
    return _Facts("regex", import_line, tuple(apps), (), tuple(routes), tuple(loose))


def _regex_payload(expression: str) -> tuple[object, str]:
    text = re.sub(r"^\w*Response\s*\((?:content\s*=\s*)?(.*?)\)\s*$", r"\1", expression.strip())
    try:
        value: object = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        value = None
    return value, expression[:80]
