"""The parser's shortcuts give exactly what the plain computation gives.

Each one skips work for speed (a class is graded in seconds); none may change a
result, so each is checked against the computation it replaces, on the rubrics'
own texts lightly mutated, as students retype them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from grader.parse.prompts import LINE_THRESHOLD, PromptIndex
from grader.parse.signatures import affinity_model
from grader.parse.units import Unit, UnitKind
from grader.rubric import Rubric, parse_rubric

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

STATEMENT = """
schema: 1
id: ties
title: Ties
exercises: [{{number: 1, title: Un}}]
questions:
  - {{id: 1.a, exercise: 1, title: Long, prompt: "{long}"}}
  - {{id: 1.b, exercise: 1, title: Court, prompt: "{short}"}}
"""


@st.composite
def retyped(draw: st.DrawFn, texts: list[str]) -> str:
    """One of ``texts`` with words dropped, doubled or cut short, or another text."""
    words = draw(st.sampled_from(texts)).split()
    for _ in range(draw(st.integers(0, 3))):
        if not words:
            break
        at = draw(st.integers(0, len(words) - 1))
        action = draw(st.sampled_from(["drop", "double", "cut"]))
        if action == "drop":
            del words[at]
        elif action == "double":
            words.insert(at, words[at])
        else:
            words[at] = words[at][: max(1, len(words[at]) // 2)]
    text = " ".join(words)
    return draw(st.one_of(st.just(text), st.text("abcdeé -", min_size=8, max_size=60)))


@SETTINGS
@given(data=st.data())
def test_closest_sentence_is_extract_one_over_all_sentences(tp1: Rubric,
                                                            data: st.DataObject) -> None:
    """Comparing a piece only with sentences of a length that can reach the threshold
    finds the same sentence, score and owner as comparing it with every sentence
    (ties go to the first in statement order, as ``extractOne``'s do)."""
    index = PromptIndex(tp1)
    sentences = index._sentences
    piece = data.draw(retyped(sentences))
    expected = process.extractOne(piece, sentences, scorer=fuzz.ratio,
                                  score_cutoff=LINE_THRESHOLD)
    found = index._closest_sentence(piece)
    assert found == (None if expected is None else (expected[1], expected[2]))


def test_closest_sentence_keeps_the_first_of_equal_sentences(tp1: Rubric) -> None:
    """The statement repeats sentences across questions: the first owner wins."""
    index = PromptIndex(tp1)
    repeated = next(s for i, s in enumerate(index._sentences) if s in index._sentences[i + 1:])
    assert index._closest_sentence(repeated) == (100.0, index._sentences.index(repeated))


def test_closest_sentence_breaks_ties_by_statement_order_not_length() -> None:
    """A piece exactly as close to a longer sentence as to a shorter one (18/19 of
    ratio each) goes to the one the statement says first, as with ``extractOne``,
    whatever their lengths: here the longer, which the length window sorts last."""
    piece = " ".join(["docker compose build"] * 6)[:100]
    longer = piece[:99] + "0123456789"
    shorter = piece[:90]
    index = PromptIndex(parse_rubric(STATEMENT.format(long=longer, short=shorter)))
    first, second = index._sentences.index(longer), index._sentences.index(shorter)
    assert fuzz.ratio(piece, longer) == fuzz.ratio(piece, shorter) >= LINE_THRESHOLD
    assert first < second
    assert index._closest_sentence(piece) == (fuzz.ratio(piece, longer), first)


@SETTINGS
@given(data=st.data())
def test_one_question_score_is_that_question_of_all_scores(tp1: Rubric,
                                                           data: st.DataObject) -> None:
    """``AffinityModel.score(unit, i)`` (the lab fit's question) is ``scores(unit)[i]``."""
    graded = [q for q in tp1.questions if q.graded]
    model = affinity_model(tp1, graded)
    texts = [q.prompt for q in graded if q.prompt] + [c for q in graded for c in q.commands]
    text = data.draw(retyped(texts))
    kind = data.draw(st.sampled_from([UnitKind.TEXT, UnitKind.HEADING]))
    unit = Unit(kind, 0, 0, text)
    scores = model.scores(unit)
    for position in range(len(graded)):
        assert model.score(unit, position) == scores[position]
