"""HTML views of score sheets: one self-contained page per student and a class dashboard.

Views only: every figure comes from the ``ScoreSheet`` (or is display arithmetic on it),
never from re-scoring. Pages are safe to open with untrusted reports inside: templates
autoescape, student markdown is rendered without raw HTML, images are embedded from the
submission only, and every page carries a Content-Security-Policy that forbids any
request outside the page (no fonts, no CDN, no remote image) and any script but the
dashboard's own, allowed by its hash.

Public API (stable; ``grader batch`` calls it)::

    render_sheet(graded, audience="student", rubric=None, assets=None, templates=None) -> str
    render_sheets(graded, audiences=AUDIENCES, rubric=None, assets=None, templates=None)
    write_sheet(graded, out, audience="student", rubric=None, assets=False, templates=None)
    render_dashboard(entries, rubric=..., audience="instructor", templates=None, extra=None)
    write_dashboard(entries, out, rubric=..., audience="instructor", templates=None, extra=None)
    DashboardEntry(student, sheet, href=None, diagnostics=None), DashboardEntry.from_graded
    DashboardSection(title, columns, rows, note=""), DashboardLink(text, href)
    sheet_filename(student) -> "alice.html"
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from markupsafe import Markup

from grader import __version__
from grader.models import AUDIENCES
from grader.render.dashboard import (
    DashboardEntry,
    DashboardLink,
    DashboardSection,
    build_dashboard,
)
from grader.render.env import (
    content_security_policy,
    environment,
    inline_source,
    style_block,
)
from grader.rubric import Rubric

if TYPE_CHECKING:
    from grader.pipeline import Graded

__all__ = [
    "AUDIENCES",
    "Audience",
    "DashboardEntry",
    "DashboardLink",
    "DashboardSection",
    "render_dashboard",
    "render_sheet",
    "render_sheets",
    "sheet_filename",
    "write_dashboard",
    "write_sheet",
]

Audience = Literal["student", "instructor"]

STYLESHEET = "grader.css"
SORT_SCRIPT = "sortable.js"
_UNSAFE_FILE_CHARS = re.compile(r"[^\w.-]+")


def _check_audience(audience: str) -> None:
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; use one of {', '.join(AUDIENCES)}")


def sheet_filename(student: str) -> str:
    """``<student>.html`` with only letters, digits, ``-``, ``_`` and ``.`` (a student's
    folder name may hold anything)."""
    stem = _UNSAFE_FILE_CHARS.sub("_", student).strip("._") or "etudiant"
    return f"{stem[:80]}.html"


def _page(env: Any, *, with_code: bool, scripts: Sequence[str] = ()) -> dict[str, Any]:
    css = inline_source(env, STYLESHEET)
    if with_code:
        from grader.render.code import pygments_css

        css += "\n" + pygments_css()
    return {
        "csp": content_security_policy(scripts),
        "css": style_block(css),
        "scripts": tuple(Markup(s) for s in scripts),
        "version": __version__,
    }


def render_sheet(graded: Graded, *, audience: str = "student", rubric: Rubric | None = None,
                 assets: Path | None = None, templates: Path | None = None) -> str:
    """One student's sheet as a self-contained HTML page.

    ``rubric`` (the one the sheet was graded with; ignored if its id differs) gives
    exercise titles and, for the instructor audience, the expected answers and notes.
    Screenshots are embedded as ``data:`` URIs, or, with ``assets`` (a folder that sits
    next to the written page), copied there and linked as ``<assets.name>/<file>``.
    ``templates`` is a folder whose files override the packaged templates by name."""
    return render_sheets(graded, audiences=(audience,), rubric=rubric, assets=assets,
                         templates=templates)[0]


def render_sheets(graded: Graded, *, audiences: Sequence[str] = AUDIENCES,
                  rubric: Rubric | None = None, assets: Path | None = None,
                  templates: Path | None = None) -> tuple[str, ...]:
    """The sheet for each audience, in order, as ``render_sheet`` would make them.

    The answers' HTML and the screenshots do not depend on the audience: rendered
    once and shared, they make the pair of pages a batch writes cost little more
    than one."""
    # Imported here: the dashboard (the batch process's only page) needs none of the
    # sheet's markdown, highlighting and image code, nor the grading engine behind them.
    from grader.render.images import ImageStore
    from grader.render.sheet import SheetBuilder, diagnostic_view, visible_diagnostics

    for audience in audiences:
        _check_audience(audience)
    env = environment(templates)
    macros = env.get_template("macros.html.j2").module
    store = ImageStore(graded.submission, assets=assets)
    answers: dict[str, Any] = {}
    template = env.get_template("sheet.html.j2")
    page = _page(env, with_code=True)
    pages = []
    for audience in audiences:
        builder = SheetBuilder(graded, audience=audience, rubric=rubric, store=store,
                               thumbnail=macros.thumbnail,  # type: ignore[attr-defined]
                               answers=answers)
        sheet = graded.sheet
        pages.append(template.render({
            **page,
            "audience": audience,
            "sheet": sheet,
            "submission": graded.submission,
            "rubric": builder.rubric,
            "exercises": builder.exercises(),
            "diagnostics": tuple(diagnostic_view(d)
                                 for d in visible_diagnostics(sheet.diagnostics, audience)),
        }))
    return tuple(pages)


def render_dashboard(entries: Sequence[DashboardEntry], *, rubric: Rubric | None,
                     audience: str = "instructor", templates: Path | None = None,
                     extra: Mapping[str, Any] | None = None) -> str:
    """The class dashboard as one HTML page.

    ``instructor``: a sortable students × questions table (heatmap of each question's
    share), links to the sheets (``entry.href``), the mark histogram, per-question
    averages and share of zeros, diagnostics counts, and the sections of
    ``extra["sections"]`` (``DashboardSection``s). ``student``: the class aggregates
    only, no names, links or extras. Other keys of ``extra`` reach the template as
    ``extra`` for overriding templates."""
    _check_audience(audience)
    env = environment(templates)
    script = inline_source(env, SORT_SCRIPT) if audience == "instructor" else ""
    dashboard = build_dashboard(entries, rubric, extra=extra if audience == "instructor"
                                else None)
    context = {
        **_page(env, with_code=False, scripts=(script,) if script else ()),
        "audience": audience,
        "dashboard": dashboard,
        "rubric": rubric,
        "extra": dict(extra or {}) if audience == "instructor" else {},
    }
    return env.get_template("dashboard.html.j2").render(context)


def _is_folder(out: Path) -> bool:
    return out.is_dir() or out.suffix.lower() not in (".html", ".htm")


def write_sheet(graded: Graded, out: Path, *, audience: str = "student",
                rubric: Rubric | None = None, assets: bool = False,
                templates: Path | None = None) -> Path:
    """Write the sheet; ``out`` is a ``.html`` file, or a folder (created if needed) that
    gets ``<student>.html``. With ``assets``, screenshots go to ``<page stem>_files/``
    beside the page. Returns the page's path."""
    target = out / sheet_filename(graded.sheet.student) if _is_folder(out) else out
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = target.parent / f"{target.stem}_files" if assets else None
    html = render_sheet(graded, audience=audience, rubric=rubric, assets=folder,
                        templates=templates)
    target.write_text(html, encoding="utf-8")
    return target


def write_dashboard(entries: Sequence[DashboardEntry], out: Path, *, rubric: Rubric | None,
                    audience: str = "instructor", templates: Path | None = None,
                    extra: Mapping[str, Any] | None = None) -> Path:
    """Write the dashboard; ``out`` is a ``.html`` file, or a folder that gets
    ``index.html``. Returns the page's path."""
    target = out / "index.html" if _is_folder(out) else out
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_dashboard(entries, rubric=rubric, audience=audience,
                                       templates=templates, extra=extra), encoding="utf-8")
    return target
