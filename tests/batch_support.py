"""Helpers of the batch tests: student folders, a grading function that misbehaves on
purpose (imported by the batch's worker processes), and a light editor of reports."""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from support import APP, DOCKERFILE, PNG, REPORTS

import grader.pipeline
import grader.worker
from grader.pipeline import Graded, grade_submission

FIXTURES = ("headings.md", "bold_crlf.md", "hash4_ids.md", "numbered_list.md",
            "number_subs.md", "etapes.md", "typos.md", "letters.md")
"""Report fixtures that are TP1 reports (each a different writing style)."""


def make_student(root: Path, name: str, fixture: str = "headings.md", *,
                 text: str | None = None) -> Path:
    """A student's folder: the report (a fixture, or ``text``), two screenshots and code."""
    folder = root / name
    (folder / "api").mkdir(parents=True, exist_ok=True)
    (folder / "captures").mkdir(exist_ok=True)
    report = folder / "rapport_tp1.md"
    if text is None:
        report.write_bytes((REPORTS / fixture).read_bytes())
    else:
        report.write_text(text, encoding="utf-8")
    (folder / "captures" / "build.png").write_bytes(PNG)
    (folder / "captures" / "health.png").write_bytes(PNG)
    (folder / "api" / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (folder / "api" / "app.py").write_text(APP, encoding="utf-8")
    return folder


def make_class(root: Path, names: Iterable[str]) -> Path:
    """A class folder, one student per name, cycling through the TP1 fixtures."""
    for i, name in enumerate(names):
        make_student(root, name, FIXTURES[i % len(FIXTURES)])
    return root


def faulty_grade(folder: str | Path, rubrics: Any, **options: Any) -> Graded:
    """``grade_submission``, except for students named to misbehave: ``crash`` raises inside
    scoring, ``hang`` never returns, ``die`` kills its process halfway through staging its
    pages (its folder in the output's ``.tmp`` is left behind, with a page in it)."""
    name = Path(folder).name
    if name == "hang":
        time.sleep(3600)
    if name == "die":
        state = grader.worker._WORKER
        if state is not None and state.out is not None:
            staging = grader.worker._staging(state.out, name)
            (staging / f"{name}.html").write_text("<p>half a page", encoding="utf-8")
        os._exit(3)
    if name == "crash":
        real = grader.pipeline.score_report

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise ZeroDivisionError("division by zero in a scoring step")

        grader.pipeline.score_report = broken  # type: ignore[assignment]
        try:
            return grade_submission(folder, rubrics, **options)
        finally:
            grader.pipeline.score_report = real
    return grade_submission(folder, rubrics, **options)


SYNONYMS = {"conteneur": "container", "conteneurs": "containers", "permet": "sert à",
            "lancer": "démarrer", "lance": "démarre", "affiche": "montre",
            "commande": "instruction", "exécute": "lance", "fichier": "document",
            "créer": "construire", "crée": "construit", "arrête": "stoppe",
            "supprime": "efface", "utilise": "emploie", "service": "composant",
            "the": "this", "runs": "executes", "shows": "displays", "because": "since",
            "quand": "lorsque", "car": "parce que", "donc": "ainsi", "aussi": "également",
            "très": "vraiment", "simple": "basique", "avec": "grâce à", "ensuite": "puis",
            "voir": "observer", "vérifier": "contrôler"}


def lightly_edit(text: str, seed: int = 0) -> str:
    """What a student copying a classmate does: rename the code's variables, swap prose
    paragraphs, reword about half of the common words."""
    rng = random.Random(seed)
    text = re.sub(r"\bapp\b", "application", text)
    text = re.sub(r"\bdef health\b", "def check_health", text)
    paragraphs = text.split("\n\n")

    def prose(paragraph: str) -> bool:
        return bool(paragraph.strip()) and not re.search(
            r"^\s*(#|```|\*\*|>|\||[-*] |\d)", paragraph, re.M) and not re.search(
            r"\d\.[a-e]|question|exercice|étape|etape", paragraph, re.I)

    i = 0
    while i < len(paragraphs) - 1:
        if prose(paragraphs[i]) and prose(paragraphs[i + 1]) and rng.random() < 0.7:
            paragraphs[i], paragraphs[i + 1] = paragraphs[i + 1], paragraphs[i]
            i += 2
        else:
            i += 1
    lines, fenced = [], False
    for line in "\n\n".join(paragraphs).split("\n"):
        if line.strip().startswith("```"):
            fenced = not fenced
        if not fenced:
            line = re.sub(r"\w+", lambda m: (SYNONYMS.get(m.group().lower(), m.group())
                                             if rng.random() < 0.6 else m.group()), line)
        lines.append(line)
    return "\n".join(lines)


SLOW_MARKS = "GRADER_TEST_SLOW_MARKS"
"""Folder where ``slow_grade`` leaves ``<student>.pid`` when it starts grading."""


def slow_grade(folder: str | Path, rubrics: Any, **options: Any) -> Graded:
    """``grade_submission`` that takes 2 s more, announcing itself (its process id) in the
    folder named by ``$GRADER_TEST_SLOW_MARKS``: a test can kill the batch while workers
    are busy, and wait for them to end."""
    marks = Path(os.environ[SLOW_MARKS])
    (marks / f"{Path(folder).name}.pid").write_text(str(os.getpid()), encoding="utf-8")
    graded = grade_submission(folder, rubrics, **options)
    time.sleep(2.0)
    return graded
