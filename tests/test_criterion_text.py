"""Cases for the text and structure criteria: ``concepts`` (T101), ``regex`` (T102),
``evidence`` (E601), ``files`` (F701), ``any`` (X901) and ``all`` (X902).

Pass/fail pairs in hadolint's ``ruleCatches`` / ``ruleCatchesNot`` style: each kind gets
texts it must credit and near misses it must not. Criteria are judged through the registry
(``REGISTRY[kind].parse`` then ``judge``), as the engine does.
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap
from typing import Any, ClassVar

import pytest
import yaml

from grader.criteria import KINDS, REGISTRY, Context, validate_spec
from grader.criteria.base import Criterion, Params
from grader.models import (
    Answer,
    CodeBlock,
    CodeKind,
    CodeOrigin,
    FileKind,
    ImageRef,
    ImageStatus,
    Judgement,
    Report,
    SourceFile,
    Status,
)
from grader.rubric import CriterionSpec, Question

QUESTION = Question(id="2.c", exercise=2, title="t")
FIRST = 10
"""Report line of the answer's first line in the reports built here."""


def make_answer(text: str, *, prompt: tuple[int, ...] = (), images: tuple[ImageRef, ...] = (),
                blocks: tuple[CodeBlock, ...] = ()) -> Answer:
    """An answer to 2.c starting at report line ``FIRST``; ``prompt`` lines copy the statement."""
    lines = text.split("\n")
    kept = [line for offset, line in enumerate(lines) if FIRST + offset not in prompt]
    return Answer(id="2.c", lines=(FIRST, FIRST + len(lines) - 1), text=text,
                  student_text="\n".join(kept), prompt_lines=prompt, code_blocks=blocks,
                  images=images)


def context(text: str | None = "", *, prompt: tuple[int, ...] = (),
            images: tuple[ImageRef, ...] = (), blocks: tuple[CodeBlock, ...] = (),
            sources: tuple[SourceFile, ...] = (), ocr: dict[str, str] | None = None) -> Context:
    answer = None if text is None else make_answer(text, prompt=prompt, images=images,
                                                   blocks=blocks)
    report_text = "\n".join(["# TP1"] * (FIRST - 1) + ([text] if text is not None else []))
    report = Report(path="rapport.md", text=report_text, lab="tp1-docker",
                    answers=(answer,) if answer is not None else (),
                    code_blocks=blocks, images=images)
    return Context(question=QUESTION, answer=answer, report=report, sources=sources,
                   ocr=dict(ocr or {}))


def judge(spec: dict[str, Any], ctx: Context) -> Judgement:
    """Parse ``spec`` (no ``missed``/``weight``) and judge it, as the engine does."""
    kind = REGISTRY[spec["kind"]]
    return kind.judge(kind.parse({k: v for k, v in spec.items() if k != "kind"}), ctx)


def concepts(groups: list[list[str]], text: str, **params: Any) -> Judgement:
    return judge({"kind": "concepts", "groups": groups, **params}, context(text))


def image(status: ImageStatus, src: str = "captures/shot.png", *, path: str | None = "",
          line: int = FIRST + 1) -> ImageRef:
    resolved = src if path == "" else path
    return ImageRef(src=src, alt="capture", line=line, status=status, path=resolved)


# --- concepts (T101) ----------------------------------------------------------------------

CONCEPTS_CATCH = [
    # case and accents, either way round
    (["processus principal"], "Le Processus Principal s'arrête."),
    (["processus principal"], "LE PROCESSUS PRINCIPAL EST FINI"),
    (["système de fichiers"], "ls montre le systeme de fichiers d'Alpine"),
    (["systeme de fichiers"], "ls montre le système de fichiers d'Alpine"),
    # inflections
    (["processus principal"], "les processus principaux du conteneur"),
    (["terminé"], "le processus est terminé"),
    (["terminé"], "le processus est termine"),
    (["terminé"], "la commande est TERMINÉE"),
    (["terminé"], "les commandes terminées"),
    (["terminé"], "echo se termine aussitôt"),
    (["conteneur"], "plusieurs conteneurs"),
    (["dépendances"], "la dépendance fastapi"),
    # one word may sit between the words of a synonym
    (["main process"], "the main echo process exits"),
    # small typos in long words
    (["processus"], "le procesus echo"),
    (["processus"], "le proccessus echo"),
    (["interactif"], "un shell interractif"),
    # a trailing * is a prefix
    (["reproductib*"], "la reproductibilité"),
    (["reproductib*"], "Reproductible partout"),
    # symbols match literally, on word boundaries
    (["-it"], "avec l'option -it on obtient un shell"),
    (["0.0.0.0:8000"], "INFO: Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)"),
    (["5432"], "le port 5432"),
    (["5432"], "postgresql://demo:demo@db:5432/demo"),
    (["5432"], "port `5432`."),
    # any synonym of the group will do
    (["processus principal", "main process", "pid 1"], "echo was PID 1 in the container"),
]

CONCEPTS_CATCH_NOT = [
    (["conteneur"], "le contenaire alpine"),
    (["terminé"], "ouvrez une session terminale"),
    (["reproductib*"], "la reproduction"),
    (["processus principal"], "le processus du conteneur principal"),
    (["processus principal"], "principal processus"),
    (["port"], "une part du gâteau"),
    (["db"], "la dbase"),
    (["-it"], "le mode edit"),
    (["0.0.0.0:8000"], "10.0.0.0:8000"),
    (["0.0.0.0:8000"], "0.0.0.0:80001"),
    (["5432"], "le port 15432"),
    (["5432"], "le port 54321"),
    (["processus principal", "main process"], "un conteneur alpine"),
]


@pytest.mark.parametrize(("group", "text"), CONCEPTS_CATCH)
def test_concepts_catches(group: list[str], text: str) -> None:
    judgement = concepts([group], text)
    assert judgement.fraction == 1.0, text
    assert judgement.detail is None
    assert len(judgement.evidence) == 1
    assert judgement.evidence[0].source == "answer"
    assert judgement.evidence[0].line == FIRST


@pytest.mark.parametrize(("group", "text"), CONCEPTS_CATCH_NOT)
def test_concepts_catches_not(group: list[str], text: str) -> None:
    judgement = concepts([group], text)
    assert judgement.fraction == 0.0, text
    assert judgement.evidence == ()
    assert judgement.detail is not None and f"« {group[0]} »" in judgement.detail


@pytest.mark.parametrize(("group", "text"), [
    pytest.param(["-d"], "la commande permet d'exécuter psql dans le conteneur",
                 id="-d-vs-elision"),
    pytest.param(["-u"], "u can run it", id="-u-vs-letter"),
    pytest.param(["-it"], "then I ran it again", id="-it-vs-english-it"),
])
def test_option_synonyms_need_their_dash(group: list[str], text: str) -> None:
    assert concepts([group], text).fraction == 0.0


def test_portable_is_not_port() -> None:
    assert concepts([["port"]], "j'ai lancé le conteneur sur mon portable").fraction == 0.0


@pytest.mark.parametrize(("synonym", "typo"), [
    ("environnement", "environement"),
    ("téléchargement", "telechargment"),
    ("automatisation", "automatisaton"),
    ("dépendances", "dépendences"),
])
def test_common_typos_in_long_words(synonym: str, typo: str) -> None:
    assert concepts([[synonym]], f"l'{typo} est figé").fraction == 1.0


def test_concepts_evidence_is_as_written() -> None:
    text = "Une image est un Modèle figé ; le Processus principal s'arrête."
    judgement = concepts([["modèle"], ["processus principal"]], text)
    assert judgement.fraction == 1.0
    for evidence in judgement.evidence:
        assert evidence.text in text


def test_concepts_evidence_line_is_the_line_of_the_match() -> None:
    text = "Question 2.c\nVoir la capture.\nLe processus principal est terminé."
    judgement = concepts([["processus principal"]], text)
    assert judgement.evidence[0].line == FIRST + 2


def test_concepts_partial_share_of_groups() -> None:
    groups = [["processus principal", "main process"], ["terminé", "finished"]]
    half = concepts(groups, "Le processus principal (echo).")
    assert half.fraction == 0.5
    assert half.detail == "idées trouvées : 1/2 ; absentes : « terminé »"
    assert concepts(groups, "Le processus principal est terminé.").fraction == 1.0
    assert concepts(groups, "Le conteneur est Exited.").fraction == 0.0


@pytest.mark.parametrize(("text", "expected"), [
    ("alpha", 1 / 3),
    ("alpha beta", 2 / 3),
    ("alpha beta gamma", 1.0),
    ("alpha beta gamma delta", 1.0),
    ("rien du tout", 0.0),
])
def test_concepts_min_is_the_number_needed_for_full_credit(text: str, expected: float) -> None:
    groups = [["alpha"], ["beta"], ["gamma"], ["delta"]]
    assert concepts(groups, text, min=3).fraction == pytest.approx(expected)


def test_concepts_min_cannot_exceed_the_groups() -> None:
    spec = CriterionSpec(kind="concepts", missed="m", groups=[["a"], ["b"]], min=3)
    problem = validate_spec(spec)
    assert problem is not None
    assert "min is 3 but there are only 2 groups" in problem[1]


PROMPT = "Vous devriez voir un conteneur alpine avec un statut `Exited`. Expliquez pourquoi."


def test_text_copied_from_the_statement_earns_nothing() -> None:
    text = f"Question 2.c\n{PROMPT}\nVoir la capture ci-dessous."
    ctx = context(text, prompt=(FIRST + 1,))
    assert ctx.answer is not None and "Exited" in ctx.answer.text
    assert "Exited" not in ctx.answer.student_text
    assert judge({"kind": "concepts", "groups": [["exited"]]}, ctx).fraction == 0.0
    assert judge({"kind": "regex", "pattern": "exited"}, ctx).fraction == 0.0


def test_the_students_own_words_count_next_to_a_copied_statement() -> None:
    text = f"Question 2.c\n{PROMPT}\nLe conteneur est Exited car echo est terminé."
    ctx = context(text, prompt=(FIRST + 1,))
    assert judge({"kind": "concepts", "groups": [["exited"]]}, ctx).fraction == 1.0
    regex = judge({"kind": "regex", "pattern": "exited"}, ctx)
    assert regex.fraction == 1.0
    assert regex.evidence[0].text == "Exited"


@pytest.mark.parametrize("kind", ["concepts", "regex"])
def test_evidence_line_skips_the_copied_statement(kind: str) -> None:
    text = f"Question 2.c\n{PROMPT}\nLe conteneur est Exited car echo est terminé."
    spec = ({"kind": "regex", "pattern": "exited"} if kind == "regex"
            else {"kind": "concepts", "groups": [["exited"]]})
    judgement = judge(spec, context(text, prompt=(FIRST + 1,)))
    assert judgement.evidence[0].line == FIRST + 2


# --- regex (T102) -------------------------------------------------------------------------

IMG_GITHUB = ('<img width="1203" alt="Capture" src="https://github.com/user-attachments/assets/'
              '0b7c6f42-5e0b-4f7a-9c1d-postgres16" />')
IMG_MULTILINE = ('<img width="600"\n     alt="psql exited"\n'
                 '     src="https://github.com/user-attachments/assets/1234-abcd" />')
IMG_MARKDOWN = "![docker ps exited](captures/postgres16_exited.png)"
IMG_OBSIDIAN = "![[postgres16 exited.png]]"


@pytest.mark.parametrize("markup", [IMG_GITHUB, IMG_MULTILINE, IMG_MARKDOWN, IMG_OBSIDIAN])
@pytest.mark.parametrize("pattern", ["user-attachments", "github", "assets", "exited",
                                     r"postgres(ql)?\s*16", r"\.png"])
def test_image_markup_never_matches_a_regex(markup: str, pattern: str) -> None:
    ctx = context(f"Question 2.c\n{markup}")
    assert judge({"kind": "regex", "pattern": pattern}, ctx).fraction == 0.0


@pytest.mark.parametrize("markup", [IMG_GITHUB, IMG_MARKDOWN])
def test_image_markup_is_not_student_words_for_concepts(markup: str) -> None:
    ctx = context(f"Question 6.a\n{markup}")
    assert judge({"kind": "concepts", "groups": [["user"], ["exited", "png"]]}, ctx).fraction \
        == 0.0


def test_words_next_to_an_image_still_match() -> None:
    ctx = context(f"Question 2.c\n{IMG_GITHUB}\nLe statut est Exited.")
    judgement = judge({"kind": "regex", "pattern": "exited"}, ctx)
    assert judgement.fraction == 1.0
    assert judgement.evidence[0].text == "Exited"
    assert judgement.evidence[0].line == FIRST + 2


REGEX_CATCH = [
    (r"postgres(ql)?\s*16", "PostgreSQL 16.2 on x86_64-pc-linux-gnu"),
    (r"postgres(ql)?\s*16", "postgres16"),
    (r"naming to [^\s]*simple-api", "=> naming to docker.io/library/simple-api"),
    (r"\{\s*\"status\"\s*:\s*\"ok\"\s*\}", 'la réponse est {"status": "ok"}'),
]
REGEX_CATCH_NOT = [
    (r"postgres(ql)?\s*16", "PostgreSQL 15.4"),
    (r"naming to [^\s]*simple-api", "naming to docker.io/library/other"),
    (r"\{\s*\"status\"\s*:\s*\"ok\"\s*\}", 'la réponse est {"status": "ko"}'),
]


@pytest.mark.parametrize(("pattern", "text"), REGEX_CATCH)
def test_regex_catches(pattern: str, text: str) -> None:
    judgement = judge({"kind": "regex", "pattern": pattern}, context(text))
    assert judgement.fraction == 1.0
    assert judgement.evidence[0].text in text
    assert judgement.evidence[0].source == "answer"


@pytest.mark.parametrize(("pattern", "text"), REGEX_CATCH_NOT)
def test_regex_catches_not(pattern: str, text: str) -> None:
    assert judge({"kind": "regex", "pattern": pattern}, context(text)).fraction == 0.0


def test_regex_case() -> None:
    ctx = context("postgresql 16")
    assert judge({"kind": "regex", "pattern": "PostgreSQL 16"}, ctx).fraction == 1.0
    assert judge({"kind": "regex", "pattern": "PostgreSQL 16", "ignore_case": False},
                 ctx).fraction == 0.0


def test_regex_reads_code_blocks_unless_told_not_to() -> None:
    block = CodeBlock(CodeKind.CONSOLE, " PostgreSQL 16.1 (Debian)", (FIRST + 1, FIRST + 3),
                      CodeOrigin.FENCED)
    # the block's text is not in student_text here, so only ``code`` can find it
    answer_ctx = context("Question 6.b", blocks=(block,))
    assert "PostgreSQL" not in answer_ctx.student_text
    assert judge({"kind": "regex", "pattern": "postgresql 16"}, answer_ctx).fraction == 1.0
    assert judge({"kind": "regex", "pattern": "postgresql 16", "in": ["code"]},
                 answer_ctx).fraction == 1.0
    assert judge({"kind": "regex", "pattern": "postgresql 16", "in": ["text"]},
                 answer_ctx).fraction == 0.0


def test_regex_without_an_answer() -> None:
    judgement = judge({"kind": "regex", "pattern": "x"}, context(None))
    assert judgement.fraction == 0.0
    assert judgement.detail == "réponse absente"


def test_invalid_regex_is_a_rubric_error() -> None:
    problem = validate_spec(CriterionSpec(kind="regex", missed="m", pattern="postgres(16"))
    assert problem is not None and problem[0] == ("pattern",)
    assert "invalid regular expression" in problem[1]


# --- screenshots read through OCR ---------------------------------------------------------

def test_screenshots_source_reads_ocr_by_image_path() -> None:
    shot = image(ImageStatus.FOUND, "../img/psql.png", path="img/psql.png")
    ocr = {"img/psql.png": "demo=# SELECT version();\n PostgreSQL 16.1 on x86_64"}
    ctx = context("Question 6.b\n![psql](../img/psql.png)", images=(shot,), ocr=ocr)
    hit = judge({"kind": "regex", "pattern": r"postgresql\s*16", "in": ["screenshots"]}, ctx)
    assert hit.fraction == 1.0
    assert hit.evidence[0].source == "screenshot:img/psql.png"
    assert hit.evidence[0].text == "PostgreSQL 16"
    found = judge({"kind": "concepts", "groups": [["select version"]], "in": ["screenshots"]},
                  ctx)
    assert found.fraction == 1.0
    assert found.evidence[0].source == "screenshot:img/psql.png"
    # the default sources of concepts (text) and regex (text, code) do not read screenshots
    assert judge({"kind": "regex", "pattern": r"postgresql\s*16"}, ctx).fraction == 0.0
    assert judge({"kind": "concepts", "groups": [["select version"]]}, ctx).fraction == 0.0


def test_screenshots_source_ignores_ocr_of_other_images() -> None:
    shot = image(ImageStatus.FOUND, "img/psql.png")
    ctx = context("Question 6.b\n![psql](img/psql.png)", images=(shot,),
                  ocr={"img/other.png": "PostgreSQL 16.1"})
    assert judge({"kind": "regex", "pattern": "postgresql 16", "in": ["screenshots"]},
                 ctx).fraction == 0.0


def test_screenshots_source_keys_remote_images_by_src() -> None:
    url = "https://github.com/user-attachments/assets/abcd"
    shot = image(ImageStatus.REMOTE, url, path=None)
    ctx = context(f'<img src="{url}">', images=(shot,), ocr={url: "PostgreSQL 16.1"})
    judgement = judge({"kind": "regex", "pattern": "postgresql 16", "in": ["screenshots"]}, ctx)
    assert judgement.fraction == 1.0
    assert judgement.evidence[0].source == f"screenshot:{url}"


# --- evidence (E601) ----------------------------------------------------------------------

@pytest.mark.parametrize(("status", "default", "trusting"), [
    (ImageStatus.FOUND, 1.0, 1.0),
    (ImageStatus.EMBEDDED, 1.0, 1.0),
    (ImageStatus.REMOTE, 1.0, 1.0),
    (ImageStatus.MISSING, 0.5, 1.0),
    (ImageStatus.OUTSIDE, 0.0, 0.0),
])
def test_evidence_credit_per_image_status(status: ImageStatus, default: float,
                                          trusting: float) -> None:
    path = None if status in (ImageStatus.REMOTE, ImageStatus.OUTSIDE) else ""
    ctx = context("Question 4.b\n![curl](captures/curl.png)", images=(image(status, path=path),))
    assert judge({"kind": "evidence"}, ctx).fraction == default
    assert judge({"kind": "evidence", "missing_credit": 1}, ctx).fraction == trusting


def test_evidence_notes_what_it_could_not_check() -> None:
    missing = judge({"kind": "evidence"},
                    context("x", images=(image(ImageStatus.MISSING, "captures/run.png"),)))
    assert missing.detail is not None and "captures/run.png" in missing.detail
    assert "absente" in missing.detail
    remote = judge({"kind": "evidence"},
                   context("x", images=(image(ImageStatus.REMOTE, "https://i.imgur.com/a.png",
                                              path=None),)))
    assert remote.detail is not None and "non vérifiée" in remote.detail
    none = judge({"kind": "evidence"}, context("Question 4.b\nLa réponse est ok."))
    assert none.fraction == 0.0
    assert none.detail == "aucune capture dans la réponse"
    absent = judge({"kind": "evidence"}, context(None))
    assert absent.fraction == 0.0


def test_evidence_explains_an_image_outside_the_folder() -> None:
    outside = judge({"kind": "evidence"},
                    context("x", images=(image(ImageStatus.OUTSIDE, "../../shot.png",
                                               path=None),)))
    assert outside.fraction == 0.0
    assert outside.detail is not None and "../../shot.png" in outside.detail


@pytest.mark.parametrize(("statuses", "expected"), [
    ((ImageStatus.FOUND,), 0.5),
    ((ImageStatus.FOUND, ImageStatus.FOUND), 1.0),
    ((ImageStatus.FOUND, ImageStatus.FOUND, ImageStatus.FOUND), 1.0),
    ((ImageStatus.FOUND, ImageStatus.MISSING), 0.75),
    ((ImageStatus.MISSING, ImageStatus.FOUND, ImageStatus.FOUND), 1.0),
    ((ImageStatus.FOUND, ImageStatus.OUTSIDE), 0.5),
    ((), 0.0),
])
def test_evidence_min_two_counts_the_best_two(statuses: tuple[ImageStatus, ...],
                                              expected: float) -> None:
    images = tuple(image(status, f"captures/{i}.png",
                         path=None if status is ImageStatus.OUTSIDE else "")
                   for i, status in enumerate(statuses))
    judgement = judge({"kind": "evidence", "min": 2}, context("x", images=images))
    assert judgement.fraction == pytest.approx(expected)
    assert len(judgement.evidence) == sum(s is not ImageStatus.OUTSIDE for s in statuses)


def test_evidence_points_at_the_screenshot() -> None:
    shot = image(ImageStatus.FOUND, "../captures/ps.png", path="captures/ps.png", line=FIRST + 3)
    judgement = judge({"kind": "evidence"}, context("x", images=(shot,)))
    assert judgement.evidence[0].source == "screenshot:captures/ps.png"
    assert judgement.evidence[0].line == FIRST + 3


# --- files (F701) -------------------------------------------------------------------------

SOURCES = (
    SourceFile("api/app.py", FileKind.PYTHON, "app = FastAPI()"),
    SourceFile("API/Dockerfile", FileKind.DOCKERFILE, "FROM python:3.11-slim"),
    SourceFile("docker-compose.yaml", FileKind.COMPOSE, "services: {}"),
)


@pytest.mark.parametrize(("patterns", "sources", "expected"), [
    (["api/app.py", "api/Dockerfile", "docker-compose.y*ml"], SOURCES, 1.0),
    (["API/APP.PY"], SOURCES, 1.0),
    (["docker-compose.yml"], SOURCES, 0.0),
    (["docker-compose.y*ml"], SOURCES, 1.0),
    (["app.py"], SOURCES, 0.0),
    (["**/app.py"], SOURCES, 1.0),
    (["**/Dockerfile"], (SourceFile("Dockerfile", FileKind.DOCKERFILE, ""),), 1.0),
    (["**/Dockerfile"], (SourceFile("src/api/Dockerfile", FileKind.DOCKERFILE, ""),), 1.0),
    (["**/Dockerfile"], (SourceFile("Dockerfile.dev", FileKind.DOCKERFILE, ""),), 0.0),
    (["api/app.py", "requirements.txt"], SOURCES, 0.5),
    (["api/app.py", "requirements.txt", "docker-compose.y*ml"], SOURCES, 2 / 3),
    (["api/app.py"], (), 0.0),
])
def test_files(patterns: list[str], sources: tuple[SourceFile, ...], expected: float) -> None:
    judgement = judge({"kind": "files", "paths": patterns}, context("x", sources=sources))
    assert judgement.fraction == pytest.approx(expected)
    assert len(judgement.evidence) == round(expected * len(patterns))
    assert all(e.source == f"file:{e.text}" for e in judgement.evidence)


def test_files_detail_lists_the_missing_patterns() -> None:
    judgement = judge({"kind": "files", "paths": ["api/app.py", "requirements.txt",
                                                   "docker-compose.y*ml"]},
                      context("x", sources=SOURCES[:1]))
    assert judgement.detail == "fichiers absents : requirements.txt, docker-compose.y*ml"


def test_files_do_not_need_an_answer() -> None:
    judgement = judge({"kind": "files", "paths": ["api/app.py"]},
                      context(None, sources=SOURCES))
    assert judgement.fraction == 1.0


def test_files_star_stays_in_its_folder() -> None:
    nested = (SourceFile("api/tests/test_app.py", FileKind.PYTHON, ""),)
    assert judge({"kind": "files", "paths": ["*.py"]},
                 context("x", sources=SOURCES)).fraction == 0.0
    assert judge({"kind": "files", "paths": ["api/*.py"]},
                 context("x", sources=nested)).fraction == 0.0


# --- any (X901) ---------------------------------------------------------------------------

EXPLAIN = {"kind": "concepts", "groups": [["processus principal", "main process"],
                                          ["terminé", "finished"]]}
SHOT = {"kind": "evidence", "min": 1, "credit": 0.5}


@pytest.mark.parametrize(("text", "images", "expected", "source"), [
    ("Le processus principal est terminé.", (), 1.0, "answer"),
    ("Le processus principal est terminé.", (ImageStatus.FOUND,), 1.0, "answer"),
    ("Voir la capture.", (ImageStatus.FOUND,), 0.5, "screenshot:captures/shot.png"),
    ("Voir la capture.", (ImageStatus.MISSING,), 0.25, "screenshot:captures/shot.png"),
    ("Le processus principal.", (), 0.5, "answer"),
    ("Voir la capture.", (), 0.0, None),
])
def test_any_keeps_the_best_alternative_with_its_credit(
        text: str, images: tuple[ImageStatus, ...], expected: float, source: str | None) -> None:
    ctx = context(text, images=tuple(image(s) for s in images))
    judgement = judge({"kind": "any", "of": [EXPLAIN, SHOT]}, ctx)
    assert judgement.fraction == pytest.approx(expected)
    if source is None:
        assert judgement.evidence == ()
    else:
        assert {e.source for e in judgement.evidence} == {source}


def test_any_credit_lets_a_screenshot_beat_a_partial_explanation() -> None:
    ctx = context("Le processus principal.", images=(image(ImageStatus.FOUND),))
    judgement = judge({"kind": "any", "of": [EXPLAIN, dict(SHOT, credit=0.8)]}, ctx)
    assert judgement.fraction == pytest.approx(0.8)
    assert judgement.evidence[0].source.startswith("screenshot:")


def test_any_met_has_no_detail_and_missed_says_what_the_main_alternative_misses() -> None:
    """When nothing earned anything, the detail is the first (main) alternative's: the
    fallbacks' own complaints ("aucune capture") would only be noise next to it."""
    met = judge({"kind": "any", "of": [EXPLAIN, SHOT]},
                context("Le processus principal est terminé."))
    assert met.detail is None
    missed = judge({"kind": "any", "of": [EXPLAIN, SHOT]}, context("Voir plus haut."))
    assert missed.detail is not None
    assert "« processus principal »" in missed.detail
    assert "aucune capture" not in missed.detail


def test_any_rejects_bad_parts() -> None:
    unknown = validate_spec(CriterionSpec(kind="any", missed="m",
                                          of=[EXPLAIN, {"kind": "evidance"}]))
    assert unknown is not None and unknown[0] == ("of", 1, "kind")
    assert "unknown criterion kind 'evidance'" in unknown[1]
    credit = validate_spec(CriterionSpec(kind="any", missed="m",
                                         of=[EXPLAIN, dict(SHOT, credit=2)]))
    assert credit is not None and "credit" in credit[1]
    alone = validate_spec(CriterionSpec(kind="any", missed="m", of=[EXPLAIN]))
    assert alone is not None and alone[0] == ("of",)


class _NotRun(Criterion):
    """A check that could not run here (like a sandbox check without ``--sandbox``).

    Example::

        - kind: test_not_run
          missed: "x"
    """

    kind: ClassVar[str] = "test_not_run"
    code: ClassVar[str] = "Z998"
    Params = Params

    @classmethod
    def judge(cls, params: Any, ctx: Context) -> Judgement:
        return Judgement(0.0, status=Status.NOT_RUN)


@pytest.fixture
def not_run_kind(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setitem(REGISTRY, _NotRun.kind, _NotRun)
    return {"kind": _NotRun.kind}


def test_any_verdict_does_not_depend_on_the_order_of_alternatives(
        not_run_kind: dict[str, Any]) -> None:
    ctx = context("Voir plus haut.")
    shot = {"kind": "evidence", "min": 1}
    first = judge({"kind": "any", "of": [not_run_kind, shot]}, ctx)
    second = judge({"kind": "any", "of": [shot, not_run_kind]}, ctx)
    assert first.fraction == second.fraction == 0.0
    assert first.status == second.status


# --- all (X902) ---------------------------------------------------------------------------

APP_FILE = {"kind": "files", "paths": ["api/app.py"]}
WORD = {"kind": "concepts", "groups": [["uvicorn"]]}


@pytest.mark.parametrize(("text", "sources", "weights", "expected"), [
    ("uvicorn démarre", SOURCES, (1, 1), 1.0),
    ("uvicorn démarre", (), (1, 1), 0.5),
    ("uvicorn démarre", (), (3, 1), 0.75),
    ("rien", SOURCES, (3, 1), 0.25),
    ("rien", (), (1, 2), 0.0),
])
def test_all_averages_by_weight(text: str, sources: tuple[SourceFile, ...],
                                weights: tuple[int, int], expected: float) -> None:
    spec = {"kind": "all", "of": [dict(WORD, weight=weights[0]), dict(APP_FILE, weight=weights[1])]}
    judgement = judge(spec, context(text, sources=sources))
    assert judgement.fraction == pytest.approx(expected)


def test_all_lists_what_failing_parts_miss() -> None:
    spec = {"kind": "all", "of": [WORD, APP_FILE, {"kind": "evidence", "min": 1}]}
    judgement = judge(spec, context("uvicorn démarre"))
    assert judgement.fraction == pytest.approx(1 / 3)
    assert judgement.detail == "fichiers absents : api/app.py; aucune capture dans la réponse"
    assert [e.text for e in judgement.evidence] == ["uvicorn"]
    full = judge(spec, context("uvicorn démarre", sources=SOURCES,
                               images=(image(ImageStatus.FOUND),)))
    assert full.fraction == 1.0 and full.detail is None


def test_all_inside_any_competes_as_one_alternative() -> None:
    spec = {"kind": "any", "of": [{"kind": "all", "of": [WORD, APP_FILE]}, SHOT]}
    assert judge(spec, context("uvicorn", sources=SOURCES)).fraction == 1.0
    assert judge(spec, context("uvicorn")).fraction == 0.5
    assert judge(spec, context("rien", images=(image(ImageStatus.FOUND),))).fraction == 0.5
    assert judge(spec, context("rien")).fraction == 0.0


def test_all_leaves_parts_that_did_not_run_out_of_the_average(
        not_run_kind: dict[str, Any]) -> None:
    judgement = judge({"kind": "all", "of": [WORD, not_run_kind]}, context("uvicorn démarre"))
    assert judgement.fraction == 1.0


# --- every kind's documentation -----------------------------------------------------------

def _example_yaml(kind: type[Criterion]) -> str:
    """The indented block after ``Example::`` (or a ```` ```yaml ```` fence after ``Example:``)."""
    doc = inspect.getdoc(kind) or ""
    found = re.search(r"^Example::?[ \t]*\n", doc, re.MULTILINE)
    assert found, f"{kind.__name__} has no 'Example::' section"
    block: list[str] = []
    for line in doc[found.end():].split("\n"):
        if line.strip() and not line.startswith((" ", "\t")):
            break
        block.append(line)
    text = textwrap.dedent("\n".join(block)).strip()
    return re.sub(r"^```\w*\n|\n```$", "", text)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_docstring_example_is_a_valid_criterion(kind: type[Criterion]) -> None:
    specs = yaml.safe_load(_example_yaml(kind))
    assert isinstance(specs, list) and specs
    kinds_seen = set()
    for raw in specs:
        spec = CriterionSpec.model_validate(raw)
        assert validate_spec(spec) is None, raw
        kinds_seen.add(spec.kind)
        kinds_seen.update(part["kind"] for part in raw.get("of", ()))
        for part in raw.get("of", ()):
            kinds_seen.update(p["kind"] for p in part.get("of", ()))
    assert kind.kind in kinds_seen


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_docstring_has_the_three_documented_parts(kind: type[Criterion]) -> None:
    doc = inspect.getdoc(kind) or ""
    assert "What it does:" in doc
    assert "Why:" in doc
    assert re.search(r"^Example::\n\n    - kind: ", doc, re.MULTILINE), kind.__name__


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_docstring_references_exist(kind: type[Criterion]) -> None:
    for dotted in re.findall(r"``(grader(?:\.\w+)+)``", kind.__doc__ or ""):
        module, _, attribute = dotted.rpartition(".")
        try:
            importlib.import_module(dotted)
        except ModuleNotFoundError:
            assert hasattr(importlib.import_module(module), attribute), dotted


def test_every_kind_has_a_summary_and_a_unique_code() -> None:
    codes = [kind.code for kind in KINDS]
    assert len(set(codes)) == len(codes)
    assert {"T101", "T102", "E601", "F701", "X901", "X902"} <= set(codes)
    for kind in KINDS:
        assert kind.summary.strip(), kind.__name__
        assert REGISTRY[kind.kind] is kind
