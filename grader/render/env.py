"""The jinja2 environment of the HTML views and the page's security policy.

Default templates ship inside the package (``grader/templates``) so an installed grader
renders without the repository. A folder of overrides (``--templates DIR``, or a
``templates/`` folder in the working directory or the project) is searched first, file
by file: an instructor replaces ``grader.css`` or ``sheet.html.j2`` alone and keeps the
rest. Autoescaping is on for every template: student text only reaches a page escaped,
or as ``Markup`` built by this package from escaped pieces.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup

PROJECT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def default_template_dirs() -> list[Path]:
    """Override folders used when none is given: ``./templates``, then the project's."""
    dirs = [Path.cwd() / "templates"]
    if PROJECT_TEMPLATES.resolve() != dirs[0].resolve():
        dirs.append(PROJECT_TEMPLATES)
    return [d for d in dirs if d.is_dir()]


def environment(templates: Path | None = None) -> Environment:
    """The environment for an override folder (``None``: the default folders)."""
    dirs = [templates] if templates is not None else default_template_dirs()
    return _environment(tuple(str(d.resolve()) for d in dirs))


@lru_cache(maxsize=16)
def _environment(dirs: tuple[str, ...]) -> Environment:
    loaders: list[BaseLoader] = [FileSystemLoader(d) for d in dirs]
    loaders.append(PackageLoader("grader", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "j2", "xml", "svg"),
                                     default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["percent"] = format_percent
    env.filters["safe_href"] = safe_href
    env.tests["link"] = lambda value: hasattr(value, "href") and hasattr(value, "text")
    return env


def inline_source(env: Environment, name: str) -> str:
    """A static file (CSS, JS) of the templates, overridable like the templates."""
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return source


def style_block(css: str) -> Markup:
    """CSS for an inline ``<style>``; ``</`` cannot close the element early."""
    return Markup(css.replace("</", "<\\/"))


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script and nothing else."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(scripts: Sequence[str] = ()) -> str:
    """The policy of every page: nothing external, images only inline or beside the page,
    scripts only those whose hash is listed (none on a sheet)."""
    parts = ["default-src 'none'", "img-src data: 'self'", "style-src 'unsafe-inline'",
             "base-uri 'none'", "form-action 'none'"]
    parts.append("script-src " + (" ".join(script_hash(s) for s in scripts) or "'none'"))
    return "; ".join(parts)


def format_number(value: float | None, digits: int = 2) -> str:
    """``1``, ``0,5``, ``18,25``: French decimals, no trailing zeros, ``—`` for nothing."""
    if value is None:
        return "—"
    text = f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace(".", ",")


def format_percent(value: float | None) -> str:
    """``88 %`` (French spacing, with a non-breaking space)."""
    return "—" if value is None else f"{round(value * 100):d}\u00a0%"


def safe_href(href: str) -> str:
    """A link target a caller gave (a sheet's relative path): relative paths and
    ``http(s)`` pass, any other scheme (``javascript:``, ``data:``) becomes ``#``."""
    head = href.strip().split("/", 1)[0]
    if ":" not in head or href.strip().lower().startswith(("http://", "https://")):
        return href.strip()
    return "#"
