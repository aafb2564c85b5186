"""Several labs, one engine: TP2 is a rubric, not code; one repository holds both reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from grader.decode import decode_bytes
from grader.parse import MIN_FIT, detect_lab, parse_text
from grader.pipeline import grade_repository, grade_submission
from grader.rubric import load_all_rubrics, load_rubric, parse_rubric
from grader.scaffold import draft_rubric, rubric_yaml

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="module")
def rubrics():
    return sorted(load_all_rubrics(), key=lambda r: r.id)


def test_both_labs_are_bundled(rubrics) -> None:
    ids = [r.id for r in rubrics]
    assert "tp1-docker" in ids and "tp2-ingestion" in ids
    tp2 = load_rubric(ROOT / "rubrics" / "tp2-ingestion.yaml")
    graded = [q.id for q in tp2.graded_questions]
    assert graded[0] == "1.a" and graded[-1] == "5.c" and len(graded) == 16
    assert tp2.question("5.d") is not None and tp2.question("5.d").points == 0


def test_engine_has_no_lab_specific_branch() -> None:
    """A new lab is a YAML file: no module of the engine names a lab."""
    offenders = []
    for path in (ROOT / "grader").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("tp1-docker", "tp2-ingestion", '"tp1"', '"tp2"', "'tp1'", "'tp2'"):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders


# --- rubric scaffolding -------------------------------------------------------------------

STATEMENT = FIXTURES / "statements" / "tp2-ingestion-as-pasted.md"


def test_draft_from_the_pasted_tp2_statement() -> None:
    """The statement pasted from the lab's web page (formatting lost: exercise titles on
    their own line, question titles starting with one space) gives TP2's structure."""
    draft = draft_rubric(STATEMENT.read_text(encoding="utf-8"), lab_id="tp2-ingestion")
    assert [e["title"] for e in draft["exercises"]] == [
        "Mise en place du projet et du rapport",
        "Base de données et docker-compose",
        "Upsert des CSV avec Prefect (month_000)",
        "Validation des données avec Great Expectations",
        "Snapshots et ingestion month_001",
    ]
    ids = [q["id"] for q in draft["questions"]]
    assert ids == ["1.a", "1.b", "1.c", "2.a", "2.b", "2.c", "2.d", "3.a", "3.b", "3.c",
                   "4.a", "4.b", "4.c", "5.a", "5.b", "5.c", "5.d"]
    by_id = {q["id"]: q for q in draft["questions"]}
    assert by_id["2.c"]["code"] == "compose"
    assert by_id["3.a"]["code"] == "dockerfile"
    assert by_id["3.b"]["code"] == "python"
    psql = "docker compose exec postgres psql -U streamflow -d streamflow"
    assert psql in by_id["2.d"]["commands"]
    assert by_id["1.a"]["title"] == "Reprendre le dépôt du TP1"
    assert by_id["1.a"]["prompt"].startswith("Reprendre le dépôt du TP1\n")
    assert "git status" in by_id["1.a"]["prompt"]
    # The draft is a valid rubric as it stands (criteria to be added by the instructor).
    rubric = parse_rubric(rubric_yaml(draft))
    assert len(rubric.questions) == 17


def test_draft_is_stable(data_regression) -> None:
    """Golden file of the drafted structure (ids, titles, steps, code, commands)."""
    draft = draft_rubric(STATEMENT.read_text(encoding="utf-8"), lab_id="tp2-ingestion")
    data_regression.check({
        "exercises": [e["title"] for e in draft["exercises"]],
        "questions": [{k: q[k] for k in ("id", "title", "step", "code", "commands")}
                      for q in draft["questions"]],
    })


def test_draft_from_a_markdown_statement() -> None:
    statement = ("# Lab 3\n\n## Partie A\nIntro.\n\n### Étape 1 — Écrire le Dockerfile\n"
                 "Complétez :\n\n```dockerfile\nFROM python:3.11-slim\nWORKDIR /app\n```\n\n"
                 "### Étape 2 — Lancer\n```bash\ndocker run -p 8000:8000 app\n```\n\n"
                 "## Partie B\n### Question\nExpliquez.\n")
    draft = draft_rubric(statement, lab_id="lab3")
    assert [q["id"] for q in draft["questions"]] == ["1.a", "1.b", "2.a"]
    assert draft["questions"][0]["title"] == "Écrire le Dockerfile"
    assert draft["questions"][0]["code"] == "dockerfile"
    assert draft["questions"][1]["commands"] == ["docker run -p 8000:8000 app"]


def test_cli_rubric_new_writes_a_valid_draft(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from grader.cli import main

    out = tmp_path / "tp2.yaml"
    result = CliRunner().invoke(main, ["rubric", "new", "--from", str(STATEMENT), "--id",
                                       "tp2-ingestion", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "17 questions drafted" in result.output
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["id"] == "tp2-ingestion" and len(data["questions"]) == 17


# --- one repository, several labs ------------------------------------------------------------

needs_shared = pytest.mark.skipif(not (SHARED / "corpus-tp2").is_dir(),
                                  reason="../shared not present: the TP1 and TP2 corpora are "
                                  "only in the course workspace")

STUDENTS = ["s01", "s02", "s04", "s05", "s10", "seed000"]


def _tp1_report(student: str) -> Path:
    if student.startswith("seed"):
        return SHARED / "seeds" / "000_2f289d7d834b7b43.txt"
    folder = SHARED / "corpus" / student
    return next(p for p in sorted(folder.rglob("*.md")) if "rapport" in p.name)


def _tp2_report(student: str) -> Path:
    return next((SHARED / "corpus-tp2" / student).rglob("rapport_tp2.md"))


@needs_shared
@pytest.mark.parametrize("student", STUDENTS)
def test_repository_with_both_labs(tmp_path: Path, rubrics, student: str) -> None:
    """Each report is graded with its own lab and gets the same scores as alone; forcing
    a lab picks that lab's report; a report is never graded with the other lab."""
    repo = tmp_path / student
    (repo / "reports").mkdir(parents=True)
    shutil.copy(_tp1_report(student), repo / "reports" / "rapport_tp1.md")
    shutil.copy(_tp2_report(student), repo / "reports" / "rapport_tp2.md")
    results = {g.sheet.rubric: g for g in grade_repository(repo, rubrics)}
    assert set(results) == {"tp1-docker", "tp2-ingestion"}
    assert results["tp1-docker"].sheet.report_path == "reports/rapport_tp1.md"
    assert results["tp2-ingestion"].sheet.report_path == "reports/rapport_tp2.md"
    for lab, name in (("tp1-docker", "rapport_tp1.md"), ("tp2-ingestion", "rapport_tp2.md")):
        alone_dir = tmp_path / f"{student}-{lab}" / "reports"
        alone_dir.mkdir(parents=True)
        shutil.copy(repo / "reports" / name, alone_dir / name)
        alone = grade_submission(alone_dir.parent, rubrics).sheet
        together = results[lab].sheet
        assert alone.rubric == lab
        assert [(q.id, q.score) for q in alone.questions] == \
            [(q.id, q.score) for q in together.questions]
        forced = grade_submission(repo, rubrics, forced=next(r for r in rubrics if r.id == lab))
        assert forced.sheet.report_path == f"reports/{name}"
        assert [(q.id, q.score) for q in forced.sheet.questions] == \
            [(q.id, q.score) for q in together.questions]


@needs_shared
def test_a_report_is_never_graded_with_the_other_lab(tmp_path: Path, rubrics) -> None:
    repo = tmp_path / "s01"
    (repo / "reports").mkdir(parents=True)
    shutil.copy(_tp1_report("s01"), repo / "reports" / "rapport_tp1.md")
    tp2 = next(r for r in rubrics if r.id == "tp2-ingestion")
    sheet = grade_submission(repo, rubrics, forced=tp2).sheet
    assert sheet.mark is None and sheet.questions == ()
    assert any(d.code == "lab.mismatch" for d in sheet.diagnostics)


@needs_shared
@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("lab", ["tp1-docker", "tp2-ingestion"])
def test_each_lab_is_told_from_the_other(rubrics, student: str, lab: str) -> None:
    """Every lab is parsed (an unnamed file), and each report fits its own lab clearly
    better than the other: labels like ``2.a`` exist in both labs and must not decide."""
    path = _tp1_report(student) if lab == "tp1-docker" else _tp2_report(student)
    best, fits = detect_lab(decode_bytes(path.read_bytes()).text, rubrics, path="README.md")
    assert best is not None and best.rubric.id == lab
    assert len(fits) == 2
    own, other = fits
    assert other.fit < MIN_FIT <= own.fit
    assert own.fit - other.fit >= 0.25


@needs_shared
def test_a_named_report_is_parsed_once_unless_misnamed(rubrics) -> None:
    """A report named for its lab that fits it well is not parsed with the other lab; a
    TP2 report saved as ``rapport_tp1.md`` is still recognised as TP2."""
    tp1_text = decode_bytes(_tp1_report("s01").read_bytes()).text
    best, fits = detect_lab(tp1_text, rubrics, path="reports/rapport_tp1.md")
    assert best is not None and best.rubric.id == "tp1-docker"
    assert [f.rubric.id for f in fits] == ["tp1-docker"]
    tp2_text = decode_bytes(_tp2_report("s01").read_bytes()).text
    best, fits = detect_lab(tp2_text, rubrics, path="reports/rapport_tp1.md")
    assert best is not None and best.rubric.id == "tp2-ingestion"
    assert {f.rubric.id for f in fits} == {"tp1-docker", "tp2-ingestion"}


def _first_half(path: Path) -> str:
    lines = decode_bytes(path.read_bytes()).text.split("\n")
    return "\n".join(lines[: len(lines) // 2])


@needs_shared
@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("lab", ["tp1-docker", "tp2-ingestion"])
def test_an_unfinished_report_is_graded_with_the_lab_it_is_named_for(
        rubrics, student: str, lab: str) -> None:
    """The first half of a report answers too few questions for ``MIN_FIT``; named
    ``rapport_tpN.md`` (as the course asks), it is that lab's, with a warning. Unnamed,
    it is not graded. TP1's first exercises look like TP2's, so the name must decide."""
    number = lab[2]
    text = _first_half(_tp1_report(student) if number == "1" else _tp2_report(student))
    best, _ = detect_lab(text, rubrics, path=f"reports/rapport_tp{number}.md")
    assert best is not None and best.rubric.id == lab
    unnamed, _ = detect_lab(text, rubrics, path="README.md")
    assert unnamed is None or unnamed.rubric.id == lab
    if best.fit < MIN_FIT:
        assert unnamed is None


@needs_shared
def test_an_unfinished_report_warns_that_its_name_decided(tmp_path: Path, rubrics) -> None:
    repo = tmp_path / "s04" / "reports"
    repo.mkdir(parents=True)
    (repo / "rapport_tp1.md").write_text(_first_half(_tp1_report("s04")), encoding="utf-8")
    sheet = grade_submission(repo.parent, rubrics).sheet
    assert sheet.rubric == "tp1-docker" and sheet.mark is not None
    assert [d.code for d in sheet.diagnostics if d.code.startswith("lab.")] == ["lab.by_name"]
    # ``grader grade FOLDER`` grades each lab report found, with its lab forced
    (graded,) = grade_repository(repo.parent, rubrics)
    assert [d.code for d in graded.sheet.diagnostics if d.code.startswith("lab.")] == [
        "lab.by_name"]


@needs_shared
def test_another_courses_tp2_named_rapport_tp2_is_still_not_graded(tmp_path: Path,
                                                                   rubrics) -> None:
    """Seed 003 is a TP2 of another course (iris API, Prometheus): its name does not make
    it this TP2."""
    text = decode_bytes((SHARED / "seeds" / "003_ba18e1ef2c491c66.txt").read_bytes()).text
    best, _ = detect_lab(text, rubrics, path="reports/rapport_tp2.md")
    assert best is None


def test_text_after_a_labelled_answer_is_not_given_to_a_question_worth_nothing(
        rubrics) -> None:
    """TP2's 5.d (a git tag, no points) is titled "Une fois le TP fini": after a plain
    "Question 5.c" label, a lead-in line then "une fois la logique en place" stays in 5.c
    (the alignment took it for 5.d, and 5.c lost its fix)."""
    tp2 = next(r for r in rubrics if r.id == "tp2-ingestion")
    text = ("Question 5.c. Compléter le rapport : schéma, explications et réflexion\n\n"
            "Ce qui m'a donné le plus de mal, c'est de paramétrer la validation Great "
            "Expectations.\n\n"
            "- Quelles erreurs avez-vous rencontrées et comment les avez-vous corrigées ?\n\n"
            "Pour régler le problème cité plus haut, j'ai dû :\n\n"
            "- Ajouter des logs de débogage pour afficher les colonnes vues par SQLAlchemy.\n"
            "- Modifier la liste des colonnes attendues dans le script Python. J'ai aussi "
            "compris qu'il fallait relancer l'ingestion du premier mois (month_000) une fois "
            "la logique de snapshot en place, pour éviter un \"trou\" dans l'historique.\n")
    report = parse_text(text, tp2)
    assert [(a.id, a.lines) for a in report.answers] == [("5.c", (1, 10))]
