"""HTML views (``grader.render``): safety, audiences, self-containment, accessibility basics,
template overrides, and the ``grade --html`` / ``view`` / ``dashboard`` commands.

Submissions are graded for real (fixture reports in temporary folders) so the pages are
built from what the pipeline produces; the browser tests (``tests/browser``) open the
same pages in Chromium.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from render_support import XSS_STUDENT, class_folder, make_png, outline, xss_folder

from grader.cli import main
from grader.models import Diagnostic, Severity
from grader.pipeline import Graded, grade_submission
from grader.render import (
    DashboardEntry,
    DashboardLink,
    DashboardSection,
    render_dashboard,
    render_sheet,
    render_sheets,
    sheet_filename,
    write_dashboard,
    write_sheet,
)
from grader.render.env import content_security_policy, format_number, safe_href, script_hash
from grader.render.images import MAX_IMAGE_BYTES, sniff_image
from grader.render.markdown import highlight_text, marks_pattern, render_markdown
from grader.rubric import Rubric
from grader.serve import make_server, start_background, url

EXPECTED = "RÉPONSE-ATTENDUE-SECRÈTE une image est un modèle figé"
NOTES = "NOTE-INTERNE accepter « template » pour modèle"


@pytest.fixture(scope="module")
def tp1_noted(tp1: Rubric) -> Rubric:
    """TP1 with an expected answer and hidden notes on 2.a (instructor-only fields)."""
    questions = tuple(q.model_copy(update={"expected": EXPECTED, "notes": NOTES})
                      if q.id == "2.a" else q for q in tp1.questions)
    return tp1.model_copy(update={"questions": questions})


@pytest.fixture
def xss(tmp_path: Path, tp1: Rubric) -> Graded:
    return grade_submission(xss_folder(tmp_path), [tp1], forced=tp1)


@pytest.fixture
def alice(tmp_path: Path, tp1: Rubric) -> Graded:
    folder = class_folder(tmp_path, "hash4_ids.md", "alice",
                          shots=("captures/alpine.png", "captures/run.png"))
    return grade_submission(folder, [tp1], forced=tp1)


def _entries(tmp_path: Path, tp1: Rubric) -> list[DashboardEntry]:
    entries = []
    for name, fixture in (("alice", "headings.md"), ("bob", "numbered_list.md"),
                          ("chloé", "etapes.md")):
        graded = grade_submission(class_folder(tmp_path / "class", fixture, name), [tp1],
                                  forced=tp1)
        entries.append(DashboardEntry.from_graded(graded, href=sheet_filename(name)))
    return entries


# --- safety -----------------------------------------------------------------------------


def test_untrusted_report_cannot_inject_markup(xss: Graded, tp1: Rubric) -> None:
    html = render_sheet(xss, rubric=tp1, audience="instructor")
    page = outline(html)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "iframe", "svg", "object", "embed", "form"}
    assert [attrs for tag, attrs in page.tags if tag == "link"] == [{"rel": "icon",
                                                                     "href": "data:,"}]
    assert html.count("<style>") == 1  # ours, in the head
    assert all(not name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert "window.__pwned" not in " ".join(v or "" for _, attrs in page.tags
                                            for v in attrs.values())
    # The payloads are shown as text, escaped.
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;iframe src=&quot;https://example.com&quot;&gt;" in html
    assert f"<title>{XSS_STUDENT.replace('<', '&lt;').replace('>', '&gt;')}" in html


def test_links_keep_only_web_targets(xss: Graded, tp1: Rubric) -> None:
    page = outline(render_sheet(xss, rubric=tp1))
    hrefs = [value for tag, name, value in page.urls if tag == "a" and name == "href"]
    external = [h for h in hrefs if not h.startswith("#")]
    assert external == ["https://docs.docker.com/get-started/"]
    link = next(attrs for tag, attrs in page.tags if tag == "a"
                and attrs.get("href") == external[0])
    assert link["rel"] == "noopener noreferrer nofollow"


def test_images_are_embedded_only_when_they_are_real_images(xss: Graded, tp1: Rubric) -> None:
    html = render_sheet(xss, rubric=tp1)
    page = outline(html)
    sources = [img["src"] or "" for img in page.images]
    assert len(sources) == 1 and sources[0].startswith("data:image/png;base64,")
    for reason in ("format d'image non pris en charge", "image en ligne, non chargée",
                   "chemin hors du dossier rendu", "capture absente du dépôt"):
        assert reason in unescape(html)
    assert "captures/fake.png" in html and "captures/evil.svg" in html
    assert "captures/gone.png" in html  # missing images are named


def test_sniff_image_accepts_raster_formats_only() -> None:
    assert sniff_image(make_png()) == "image/png"
    assert sniff_image(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_image(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff_image(b"<svg onload=alert(1)>") is None
    assert sniff_image(b"<html>") is None


def test_oversized_screenshot_is_skipped_and_said(tmp_path: Path, tp1: Rubric) -> None:
    folder = class_folder(tmp_path, "hash4_ids.md", "big",
                          shots=("captures/alpine.png", "captures/run.png"))
    big = folder / "captures" / "run.png"
    big.write_bytes(make_png() + b"\0" * (MAX_IMAGE_BYTES + 10))
    html = render_sheet(grade_submission(folder, [tp1], forced=tp1), rubric=tp1)
    assert "capture trop volumineuse" in html
    assert len(outline(html).images) == 1


def test_html_screenshots_show_without_their_layout_tags(tmp_path: Path, tp1: Rubric) -> None:
    """GitHub's editor writes a screenshot as ``<img …>``, often centred in a ``<p>``:
    shown as the screenshot, without the tags around it as text; other raw HTML still
    shows as text."""
    folder = class_folder(tmp_path, "hash4_ids.md", "gh",
                          shots=("captures/alpine.png", "captures/run.png"))
    report = folder / "rapport_tp1.md"
    text = report.read_text(encoding="utf-8")
    text = text.replace("![alpine](captures/alpine.png)",
                        '<p align="center"><img width="600" src="captures/alpine.png"></p>')
    text = text.replace("![run](captures/run.png)",
                        '<p align="center">\n<img src="captures/run.png" alt="run">\n</p>\n'
                        "<b>gras</b>")
    report.write_text(text, encoding="utf-8")
    html = render_sheet(grade_submission(folder, [tp1], forced=tp1), rubric=tp1)
    assert len(outline(html).images) == 2
    assert "&lt;p" not in html and "&lt;/p&gt;" not in html
    assert "&lt;b&gt;gras&lt;/b&gt;" in html


def _sheet_after_run_shot(tmp_path: Path, tp1: Rubric, student: str, added: str) -> str:
    """The sheet of a student whose report has ``added`` after its ``run`` screenshot."""
    folder = class_folder(tmp_path, "hash4_ids.md", student,
                          shots=("captures/alpine.png", "captures/run.png"))
    report = folder / "rapport_tp1.md"
    report.write_text(report.read_text(encoding="utf-8").replace(
        "![run](captures/run.png)", f"![run](captures/run.png)\n\n{added}"), encoding="utf-8")
    return render_sheet(grade_submission(folder, [tp1], forced=tp1), rubric=tp1)


def test_collapsible_sections_show_without_their_tags(tmp_path: Path, tp1: Rubric) -> None:
    """An answer folded in ``<details>``/``<summary>`` (GitHub readers) shows its label and
    words, not the folding tags as text; a tag quoted in code stays."""
    html = _sheet_after_run_shot(
        tmp_path, tp1, "fold", "<details>\n<summary>Détails</summary>\n\n"
        "Le conteneur s'arrête (`<details>` replie ce texte).\n\n</details>")
    assert "Détails" in unescape(html)
    assert "&lt;summary" not in html and "&lt;/details&gt;" not in html
    assert "<code>&lt;details&gt;</code>" in html


def test_layout_tags_away_from_screenshots_still_show(tmp_path: Path, tp1: Rubric) -> None:
    """A student's own HTML (an unfenced page) shows as written, tags included."""
    html = _sheet_after_run_shot(
        tmp_path, tp1, "web",
        "Ma page :\n\n<div class=\"box\">\n<span>\nBonjour\n</span>\n</div>")
    assert "&lt;div class=&quot;box&quot;&gt;" in html and "&lt;/span&gt;" in html


def test_screenshot_symlinked_outside_the_folder_is_not_read(tmp_path: Path,
                                                             tp1: Rubric) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(make_png(rgb=(200, 0, 0)))
    folder = class_folder(tmp_path, "hash4_ids.md", "mallory", shots=("captures/run.png",))
    (folder / "captures" / "alpine.png").symlink_to(secret)
    html = render_sheet(grade_submission(folder, [tp1], forced=tp1), rubric=tp1)
    assert len(outline(html).images) == 1
    assert "captures/alpine.png" in html  # named as not shown, never read


def test_markdown_rules() -> None:
    html = str(render_markdown(
        "# Titre\n\n<b>gras</b> [a](javascript:alert(1)) [b](https://e.org) "
        "[c](./local.md) ![x](https://e.org/x.png)\n\n```python\nprint('<x>')\n```\n",
        marks=marks_pattern(["print"])))
    assert "<h1" not in html and 'class="md-heading"' in html
    assert "&lt;b&gt;gras&lt;/b&gt;" in html
    assert 'href="javascript' not in html and 'href="./local.md"' not in html
    assert '<a href="https://e.org" rel="noopener noreferrer nofollow"' in html
    assert "<img" not in html and "[image : x]" in html
    assert 'class="hll"' in html  # the evidence line of the code is highlighted
    assert "&lt;x&gt;" in html or "&#39;&lt;x&gt;&#39;" in html


def test_marks_are_escaped_and_case_insensitive() -> None:
    pattern = marks_pattern(["<b>Modèle", "x", "  "])
    assert highlight_text("un <b>modèle & co", pattern) == \
        "un <mark>&lt;b&gt;modèle</mark> &amp; co"
    assert marks_pattern(["", "a"]) is None


def test_content_security_policy_forbids_everything_external(xss: Graded, tp1: Rubric,
                                                           tmp_path: Path) -> None:
    html = render_sheet(xss, rubric=tp1)
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert meta is not None
    assert html.index("Content-Security-Policy") < html.index("<style>")
    policy = meta.group(1).replace("&#39;", "'")
    assert policy == content_security_policy()
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    dashboard = render_dashboard(_entries(tmp_path, tp1), rubric=tp1)
    scripts = outline(dashboard).scripts
    assert len(scripts) == 1
    assert script_hash(scripts[0]) in dashboard.replace("&#39;", "'")


@pytest.mark.parametrize("kind", ["sheet", "dashboard"])
def test_pages_are_self_contained(kind: str, alice: Graded, tp1: Rubric,
                                  tmp_path: Path) -> None:
    html = (render_sheet(alice, rubric=tp1) if kind == "sheet"
            else render_dashboard(_entries(tmp_path, tp1), rubric=tp1))
    page = outline(html)
    for tag, name, value in page.urls:
        if tag == "a" and name == "href":
            continue  # links are navigation, not loads; checked by the link tests
        assert value.startswith(("data:image/", "#", "data:,")), (tag, name, value[:60])
    links = [attrs for tag, attrs in page.tags if tag == "link"]
    assert links == [{"rel": "icon", "href": "data:,"}]  # no stylesheet, no font
    assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", html)


def test_safe_href() -> None:
    assert safe_href("alice.html") == "alice.html"
    assert safe_href("sub/bob.html") == "sub/bob.html"
    assert safe_href("javascript:alert(1)") == "#"
    assert safe_href(" data:text/html,x") == "#"
    assert safe_href("https://lms.example/x") == "https://lms.example/x"


# --- audiences --------------------------------------------------------------------------


def test_student_view_hides_instructor_material(alice: Graded, tp1_noted: Rubric) -> None:
    student = render_sheet(alice, rubric=tp1_noted, audience="student")
    instructor = render_sheet(alice, rubric=tp1_noted, audience="instructor")
    for secret in ("RÉPONSE-ATTENDUE-SECRÈTE", "NOTE-INTERNE", "Vue enseignant",
                   str(alice.submission.root), alice.sheet.rubric_digest or "digest"):
        assert secret[:12] not in student
    for shown in ("RÉPONSE-ATTENDUE-SECRÈTE", "NOTE-INTERNE", "Réponse attendue",
                  "Notes de correction", "Vue enseignant", "T101:2.a#1"):
        assert shown in instructor


def test_pages_rendered_together_match_pages_rendered_alone(alice: Graded,
                                                           tp1_noted: Rubric) -> None:
    together = render_sheets(alice, audiences=("student", "instructor"), rubric=tp1_noted)
    alone = tuple(render_sheet(alice, rubric=tp1_noted, audience=a)
                  for a in ("student", "instructor"))
    assert together == alone
    assert together[0] != together[1]
    with pytest.raises(ValueError, match="audience"):
        render_sheets(alice, audiences=("student", "public"))


def test_instructor_only_diagnostics_are_filtered(alice: Graded, tp1: Rubric) -> None:
    sheet = alice.sheet
    tagged = Graded(alice.submission, alice.report, type(sheet)(
        **{**{f: getattr(sheet, f) for f in sheet.__dataclass_fields__},
           "diagnostics": (*sheet.diagnostics,
                           Diagnostic("similarity.high", "2.a ressemble à bob (96 %)",
                                      Severity.WARNING))}))
    assert "bob (96" not in render_sheet(tagged, rubric=tp1)
    assert "bob (96" in render_sheet(tagged, rubric=tp1, audience="instructor")


def test_student_dashboard_has_aggregates_only(tmp_path: Path, tp1: Rubric) -> None:
    entries = _entries(tmp_path, tp1)
    section = DashboardSection("Réponses similaires", ("A", "B"),
                               ((DashboardLink("alice", "alice.html"), "bob"),))
    html = render_dashboard(entries, rubric=tp1, audience="student",
                            extra={"sections": [section]})
    for name in ("alice", "bob", "chloé", "Réponses similaires"):
        assert name not in html
    assert "Répartition des notes" in html and "<script" not in html
    instructor = render_dashboard(entries, rubric=tp1, extra={"sections": [section]})
    assert "Réponses similaires" in instructor and 'href="alice.html"' in instructor


def test_unknown_audience_is_refused(alice: Graded) -> None:
    with pytest.raises(ValueError, match="audience"):
        render_sheet(alice, audience="public")


# --- content ----------------------------------------------------------------------------


def test_sheet_shows_mark_questions_criteria_and_unanswered(alice: Graded,
                                                            tp1: Rubric) -> None:
    html = render_sheet(alice, rubric=tp1)
    sheet = alice.sheet
    assert format_number(sheet.mark) in html and "/ 20" in html
    assert html.count('<article class="card') == len(sheet.questions)
    unanswered = [q for q in sheet.questions if not q.answered]
    assert unanswered
    assert html.count("Non répondu") >= len(unanswered)
    assert "Synthèse par exercice" in html
    assert "<mark>" in html  # evidence highlighted in the student's words
    assert 'class="hl"' in html  # code highlighted


def test_code_found_in_a_submission_file_is_shown(tmp_path: Path, tp1: Rubric) -> None:
    folder = class_folder(tmp_path, "headings.md", "dan")
    (folder / "api").mkdir()
    (folder / "api" / "Dockerfile").write_text(
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install fastapi uvicorn\n"
        'CMD ["uvicorn", "app:app", "--host", "0.0.0.0"]\n', encoding="utf-8")
    report = folder / "rapport_tp1.md"
    text = report.read_text(encoding="utf-8")
    start = text.index("### Question 3.b")
    end = text.index("### Question 3.c")
    report.write_text(text[:start] + "### Question 3.b\nVoir api/Dockerfile.\n\n" + text[end:],
                      encoding="utf-8")
    html = render_sheet(grade_submission(folder, [tp1], forced=tp1), rubric=tp1)
    assert "Code trouvé — Fichier api/Dockerfile" in html


def test_unscored_report_is_explained(tmp_path: Path, tp1: Rubric) -> None:
    folder = class_folder(tmp_path, "other_lab.md", "zoe")
    graded = grade_submission(folder, [tp1])
    html = render_sheet(graded)
    assert "Rapport non noté" in html and "lab.unknown" in html


# --- accessibility basics ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sheet", "instructor", "dashboard", "xss"])
def test_headings_in_order_and_images_with_alt(kind: str, alice: Graded, xss: Graded,
                                               tp1_noted: Rubric, tmp_path: Path) -> None:
    html = {
        "sheet": lambda: render_sheet(alice, rubric=tp1_noted),
        "instructor": lambda: render_sheet(alice, rubric=tp1_noted, audience="instructor"),
        "dashboard": lambda: render_dashboard(_entries(tmp_path, tp1_noted), rubric=tp1_noted),
        "xss": lambda: render_sheet(xss, rubric=tp1_noted),
    }[kind]()
    page = outline(html)
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, page.headings
    assert all((img.get("alt") or "").strip() for img in page.images)
    assert '<html lang="fr">' in html
    assert 'name="viewport"' in html


def test_colour_is_never_the_only_signal(alice: Graded, tp1: Rubric, tmp_path: Path) -> None:
    html = render_sheet(alice, rubric=tp1)
    items = re.findall(r'<li class="crit (\w+)"><span class="crit-status">(.*?)</span>\s*'
                       r'<span class="crit-text">', html, re.S)
    assert items
    for item in items:
        status, head = item
        icon, word = {"met": ("✓", "Acquis"), "partial": ("◐", "Partiel"),
                      "missed": ("✗", "Manquant"), "error": ("⚠", "Erreur"),
                      "not_run": ("–", "Non évalué")}[status]
        assert icon in head and word in head
    dashboard = render_dashboard(_entries(tmp_path, tp1), rubric=tp1)
    cells = re.findall(r'<td class="heat"[^>]*>(.*?)</td>', dashboard)
    assert cells and all(re.search(r"\d", cell) for cell in cells)
    assert "✓" in dashboard


# --- dashboard --------------------------------------------------------------------------


def test_dashboard_figures(tmp_path: Path, tp1: Rubric) -> None:
    entries = _entries(tmp_path, tp1)
    failed = DashboardEntry("mallory", None, None,
                            (Diagnostic("grading.failed", "boom", Severity.ERROR),))
    html = render_dashboard([*entries, failed], rubric=tp1)
    page = outline(html)
    rects = [attrs for tag, attrs in page.tags if tag == "rect"]
    assert len(rects) == 20  # one bar per mark point of /20
    for entry in entries:
        assert f'href="{entry.href}"' in html
    assert "échec" in html and "grading.failed" in html
    rows = re.findall(r"<tr>\s*<th scope=\"row\" data-sort=\"[^\"]*\">", html)
    assert len(rows) == 4
    marks = [e.sheet.mark for e in entries if e.sheet and e.sheet.mark is not None]
    assert format_number(sum(marks) / len(marks)) in html


def test_dashboard_rejects_malformed_sections(tmp_path: Path, tp1: Rubric) -> None:
    with pytest.raises(TypeError, match="DashboardSection"):
        render_dashboard(_entries(tmp_path, tp1), rubric=tp1, extra={"sections": ["x"]})


# --- files, overrides -------------------------------------------------------------------


def test_write_sheet_to_folder_or_file_and_assets(alice: Graded, tp1: Rubric,
                                                  tmp_path: Path) -> None:
    folder_page = write_sheet(alice, tmp_path / "out", rubric=tp1)
    assert folder_page == tmp_path / "out" / "alice.html"
    index = write_dashboard([DashboardEntry.from_graded(alice, folder_page.name)],
                            tmp_path / "out", rubric=tp1)
    assert index == tmp_path / "out" / "index.html"
    assert 'href="alice.html"' in index.read_text(encoding="utf-8")
    file_page = write_sheet(alice, tmp_path / "x" / "sheet.html", rubric=tp1, assets=True)
    html = file_page.read_text(encoding="utf-8")
    sources = [img["src"] or "" for img in outline(html).images]
    assert sources and all(s.startswith("sheet_files/") for s in sources)
    for src in sources:
        assert (file_page.parent / src).is_file()
    assert "data:image" not in html


def test_sheet_filename_is_safe() -> None:
    assert sheet_filename("alice") == "alice.html"
    assert sheet_filename("../../etc/passwd") == "etc_passwd.html"
    assert sheet_filename(XSS_STUDENT) == "eve_img_src_x_onerror_window.__pwned_1.html"
    assert sheet_filename("...") == "etudiant.html"


def test_templates_override_by_file_name(alice: Graded, tp1: Rubric, tmp_path: Path) -> None:
    overrides = tmp_path / "tpl"
    overrides.mkdir()
    (overrides / "grader.css").write_text("body { --override-marker: 1; }", encoding="utf-8")
    (overrides / "sheet.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block title %}PERSO {{ sheet.student }}{% endblock %}'
        "{% block content %}<h1>{{ sheet.student }}</h1>{% endblock %}", encoding="utf-8")
    html = render_sheet(alice, rubric=tp1, templates=overrides)
    assert "--override-marker" in html and "<title>PERSO alice</title>" in html
    assert "Content-Security-Policy" in html  # the base template still comes from the package
    dashboard = render_dashboard([DashboardEntry.from_graded(alice)], rubric=tp1,
                                 templates=overrides)
    assert "--override-marker" in dashboard and "Tableau de bord" in dashboard


def test_override_templates_still_autoescape(alice: Graded, tmp_path: Path) -> None:
    overrides = tmp_path / "tpl"
    overrides.mkdir()
    (overrides / "sheet.html.j2").write_text(
        "{% extends 'base.html.j2' %}{% block content %}<p>{{ submission.text }}</p>"
        "{% endblock %}", encoding="utf-8")
    sheet = Graded(alice.submission.__class__(
        **{**{f: getattr(alice.submission, f) for f in alice.submission.__dataclass_fields__},
           "text": "<script>x</script>"}), alice.report, alice.sheet)
    assert "&lt;script&gt;x" in render_sheet(sheet, templates=overrides)


def test_package_ships_its_templates() -> None:
    import tomllib

    import grader

    package = Path(grader.__file__).parent / "templates"
    names = {p.name for p in package.iterdir()}
    assert {"base.html.j2", "sheet.html.j2", "dashboard.html.j2", "macros.html.j2",
            "grader.css", "sortable.js"} <= names
    root = Path(grader.__file__).parents[1]
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert "templates/*" in data["tool"]["setuptools"]["package-data"]["grader"]
    assert all(p.is_file() for p in package.iterdir())  # "templates/*" takes no sub-folder


# --- serving and the commands -----------------------------------------------------------


def test_server_binds_loopback_and_sends_policy(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!DOCTYPE html><title>x</title>", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    server = make_server(tmp_path)
    start_background(server)
    try:
        assert server.server_address[0] == "127.0.0.1" and server.server_address[1] > 0
        with urllib.request.urlopen(url(server, "index.html"), timeout=5) as response:
            assert response.status == 200
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        with pytest.raises(urllib.error.HTTPError) as listing:
            urllib.request.urlopen(url(server, "sub/"), timeout=5)
        assert listing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_grade_html_command(tmp_path: Path) -> None:
    folder = class_folder(tmp_path, "headings.md", "alice")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["grade", str(folder), "--rubric", "tp1-docker",
                                       "--html", str(out), "--json", "-"])
    assert result.exit_code == 0, result.output
    page = out / "alice.html"
    assert page.is_file() and "Synthèse par exercice" in page.read_text(encoding="utf-8")
    assert result.stdout.lstrip().startswith("{")  # stdout stays pure JSON


def test_view_command_opens_file_or_serves(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "index.html").write_text("<!DOCTYPE html>", encoding="utf-8")
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda address: opened.append(address) or True)
    result = CliRunner().invoke(main, ["view", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert opened == [(tmp_path / "index.html").resolve().as_uri()]

    from http.server import ThreadingHTTPServer

    def interrupted(self: ThreadingHTTPServer, poll_interval: float = 0.5) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ThreadingHTTPServer, "serve_forever", interrupted)
    result = CliRunner().invoke(main, ["view", str(tmp_path), "--serve", "--no-browser"])
    assert result.exit_code == 0, result.output
    assert re.match(r"http://127\.0\.0\.1:\d+/index\.html", result.stdout)
    assert len(opened) == 1

    missing = CliRunner().invoke(main, ["view", str(tmp_path / "nothing.html")])
    assert missing.exit_code != 0


def test_dashboard_command(tmp_path: Path) -> None:
    folders = [class_folder(tmp_path / "class", fixture, name)
               for name, fixture in (("alice", "headings.md"), ("bob", "letters.md"))]
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["dashboard", str(out), *map(str, folders),
                                       "--rubric", "tp1-docker"])
    assert result.exit_code == 0, result.output
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="alice.html"' in index and 'href="bob.html"' in index
    assert (out / "alice.html").is_file() and (out / "bob.html").is_file()


def test_thirty_student_dashboard_renders_fast(tmp_path: Path, tp1: Rubric) -> None:
    """The acceptance figure (under 2 s) with a wide margin; BENCHMARKS.md has the numbers."""
    import time

    base = _entries(tmp_path, tp1)
    entries = [DashboardEntry(f"{e.student}-{i}", e.sheet, e.href)
               for i in range(10) for e in base]
    start = time.perf_counter()
    html = render_dashboard(entries, rubric=tp1)
    assert time.perf_counter() - start < 2.0
    assert html.count("<tr>") >= 30
