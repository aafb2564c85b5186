"""Answers alike (``grader/similarity.py``): a lightly edited copy of a real report is
caught, independent real reports are not, and the lab's own text never counts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from batch_support import lightly_edit
from support import ROOT

from grader.ingest import read_submission
from grader.models import CodeKind
from grader.parse import parse_text
from grader.pipeline import grade_submission
from grader.rubric import Rubric
from grader.similarity import answer_prints, boilerplate, code_tokens, find_similar

CORPUS = ROOT.parent / "shared" / "corpus"
SEEDS = [ROOT / "submissions" / name for name in ("seed000", "seed001", "seed002")]
REAL = SEEDS + (sorted(p for p in CORPUS.iterdir() if p.is_dir() and p.name.startswith("s"))
                if CORPUS.is_dir() else [])
"""Independent TP1 reports: the bundled seeds and, when present, the corpus."""


@pytest.fixture(scope="module")
def real_prints(tp1: Rubric) -> dict[str, Any]:
    prints = {}
    for folder in REAL:
        graded = grade_submission(folder, [tp1], forced=tp1)
        prints[folder.name] = answer_prints(graded.report, tp1)
    return prints


def test_independent_reports_are_not_flagged(real_prints: dict[str, Any]) -> None:
    assert len(real_prints) >= 3
    assert find_similar(real_prints) == []


@pytest.mark.parametrize("folder", REAL, ids=lambda p: p.name)
def test_a_lightly_edited_copy_is_caught(folder: Path, tmp_path: Path, tp1: Rubric,
                                         real_prints: dict[str, Any]) -> None:
    submission = read_submission(folder)
    copy = tmp_path / "copycat"
    shutil.copytree(folder, copy)
    (copy / (submission.report_path or "rapport.md")).unlink()
    edited = lightly_edit(submission.text, seed=len(folder.name))
    assert edited != submission.text
    (copy / "rapport_tp1.md").write_text(edited, encoding="utf-8")
    graded = grade_submission(copy, [tp1], forced=tp1)
    prints = {**real_prints, "copycat": answer_prints(graded.report, tp1)}
    pairs = find_similar(prints)
    assert [(p.a, p.b) for p in pairs] == [tuple(sorted(("copycat", folder.name)))]
    pair = pairs[0]
    assert len(pair.answers) >= 3
    original = submission.text.casefold()
    for answer in pair.answers:
        assert answer.passages
        for passage in answer.passages:
            side = passage.b if pair.a == "copycat" else passage.a
            words = side.replace("…", " ").casefold().split()
            assert words and all(word in original for word in words)


def _report(rubric: Rubric, own: dict[str, str]) -> Any:
    """A report that pastes each question's prompt (the lab's text, with its code
    skeletons) above a short answer of the student's own."""
    parts = []
    for question in rubric.graded_questions:
        parts.append(f"## Question {question.id}\n\n{question.prompt}\n\n"
                     f"{own.get(question.id, 'Fait.')}\n")
    return parse_text("\n".join(parts), rubric)


def test_the_lab_statement_is_not_evidence(tp1: Rubric) -> None:
    a = _report(tp1, {"2.a": "Une image est un modèle figé, un conteneur en est l'instance."})
    b = _report(tp1, {"2.a": "L'image sert de gabarit immuable ; le conteneur tourne."})
    prints = {"a": answer_prints(a, tp1), "b": answer_prints(b, tp1)}
    assert find_similar(prints) == []
    lab = boilerplate(tp1)
    assert lab and all(h not in lab for per in prints.values() for q in per.values()
                       for h, _, _ in q["fp"])


def test_renamed_python_variables_change_nothing() -> None:
    first = "app = FastAPI()\n@app.get('/health')\ndef health():\n    return {'status': 'ok'}"
    second = ("application = FastAPI()\n@application.get('/health')\ndef check():\n"
              "    return {'status': 'ok'}")
    assert ([t.text for t in code_tokens(first, CodeKind.PYTHON)]
            == [t.text for t in code_tokens(second, CodeKind.PYTHON)])


def test_what_most_of_the_class_writes_is_not_evidence() -> None:
    """Forty students with the same Dockerfile (the one the lab asks for) and their own
    words elsewhere: no pair."""
    common = [[h, 0, 1] for h in range(1, 31)]
    prints = {f"s{i:02d}": {"3.b": {"text": "x", "fp": common},
                            "2.a": {"text": "y", "fp": [[1000 * i + j, 0, 1]
                                                        for j in range(20)]}}
              for i in range(40)}
    assert find_similar(prints) == []
    two = {k: prints[k] for k in ("s00", "s01")}
    assert [(p.a, p.b) for p in find_similar(two)] == [("s00", "s01")]


def test_results_do_not_depend_on_order(real_prints: dict[str, Any]) -> None:
    a, b = sorted(real_prints)[:2]
    copied = {**real_prints, "zz-copy": real_prints[a]}
    reversed_order = dict(reversed(list(copied.items())))
    assert find_similar(copied) == find_similar(reversed_order)
    assert [(p.a, p.b) for p in find_similar(copied)] == [(a, "zz-copy")]
    assert b  # the other reports stay unpaired


def test_a_run_of_words_hashes_the_same_wherever_it_stands() -> None:
    """Rolled k-gram hashes depend only on the k tokens: a sentence shared by two
    answers gives the same fingerprints at any offset, and a changed word changes them."""
    from grader.similarity import K, _gram_hashes, tokens_of

    shared = "le conteneur redémarre automatiquement après un crash du processus principal"
    a = tokens_of("Pour commencer, " + shared)
    b = tokens_of(shared + " et les volumes restent.")
    first = _gram_hashes(tokens_of(shared), K)
    assert first and set(first) <= set(_gram_hashes(a, K))
    assert set(first) <= set(_gram_hashes(b, K))
    changed = tokens_of(shared.replace("crash", "arrêt"))
    assert set(_gram_hashes(changed, K)) != set(first)
    assert _gram_hashes(tokens_of("trop court"), K) == []


def test_winnowing_keeps_each_windows_rightmost_minimum(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``winnow`` keeps, for every window of consecutive k-grams, the smallest hash (the
    rightmost of equals), each position once and in order: checked against the
    definition on sequences full of ties."""
    import random

    from grader import similarity

    rng = random.Random(7)
    for _ in range(300):
        grams = [(rng.randint(0, 5), j, j + 1) for j in range(rng.randint(0, 30))]
        window = rng.randint(1, 6)
        if len(grams) <= window:
            expected = grams
        else:
            minima = {max(range(i, i + window), key=lambda j: (-grams[j][0], j))
                      for i in range(len(grams) - window + 1)}
            expected = [grams[j] for j in sorted(minima)]
        # one token per k-gram (k = 1), hashed to the value chosen above
        monkeypatch.setattr(similarity, "_gram_hashes",
                            lambda _tokens, _k, hashes=[h for h, _, _ in grams]: hashes)
        tokens = [similarity.Token(str(h), s, e) for h, s, e in grams]
        assert similarity.winnow(tokens, k=1, window=window) == expected
