"""Decide which units of a report answer which question.

Explicit labels win (``Question 2.a``, ``#### 2.A``, ``a)`` under an exercise,
``Étape 2`` under ``Exercice 3``); the exercise a label sits in wins over a
mistyped number. Where a region has no labels (one heading per exercise,
topical headings, no markup at all), its units are aligned to the questions
not labelled elsewhere, in lab order, by a small dynamic programme over their
signature affinities (see ``signatures``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from rapidfuzz import fuzz

from grader.parse.alignment import assign, introduces
from grader.parse.markers import MarkerKind
from grader.parse.signatures import affinity_model
from grader.parse.text import LIST_ITEM, fold, strip_markdown
from grader.parse.units import Unit, UnitKind
from grader.rubric import Rubric
from grader.wording import FUZZY_MIN_LENGTH, FUZZY_THRESHOLD


@dataclass(slots=True)
class Draft:
    """An answer being assembled: its ids, its units and how it was found."""

    ids: tuple[str, ...]
    units: list[Unit] = field(default_factory=list)
    found_by: str = "label"
    label: str | None = None
    marker_unit: Unit | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Section:
    closed: bool
    exercise: int | None
    ids: tuple[str, ...] = ()
    found_by: str = "label"
    label: str | None = None
    marker_unit: Unit | None = None
    marker_level: int = 0
    units: list[Unit] = field(default_factory=list)
    after_closed: bool = False
    item: tuple[int, int] | None = None
    """(indent, number) when the label opens an ordered-list item (``2. Question 8.b:``)."""
    item_body: bool = False
    """Whether lines indented under that item followed: the answer is the item's body."""


_ITEM = re.compile(r"( *)(\d{1,2})[.)]\s")


def _table_row(unit: Unit) -> bool:
    """A text unit that is a row of a table of answers (``| 2.a | … |``)."""
    return unit.kind is UnitKind.TEXT and unit.text.lstrip(" >").startswith("|")


def _list_item(unit: Unit) -> tuple[int, int] | None:
    """(indent, number) of a text unit that opens an ordered-list item."""
    if unit.kind is not UnitKind.TEXT or unit.quoted:
        return None
    match = _ITEM.match(unit.text)
    return (len(match.group(1)), int(match.group(2))) if match else None


def _indent(unit: Unit) -> int:
    return len(unit.text) - len(unit.text.lstrip(" "))


def _exercise_level(units: Sequence[Unit], rubric: Rubric) -> int | None:
    """The heading level whose numbered titles (``## II.``, ``### 3.``) are exercises."""
    if any(u.marker is not None and u.marker.kind is MarkerKind.EXERCISE for u in units):
        return None
    top = max((e.number for e in rubric.exercises), default=0)
    by_level: dict[int, list[int]] = {}
    for unit in units:
        marker = unit.marker
        if marker is not None and marker.kind is MarkerKind.NUMBER and marker.number is not None:
            by_level.setdefault(unit.heading_level, []).append(marker.number)
    for level in sorted(by_level):
        numbers = by_level[level]
        rises = sum(1 for a, b in pairwise(numbers) if b > a)
        if len(numbers) >= 3 and rises >= len(numbers) - 2 and max(numbers) <= top + 1:
            return level
    return None


EXERCISE_TITLE_THRESHOLD = 90
"""How close a heading must be to an exercise's title to open that exercise."""


def _exercise_titled(unit: Unit, rubric: Rubric) -> int | None:
    """The exercise a heading names by its title (``### 4. Exécuter l'API FastAPI …``),
    when it carries no exercise label of its own; its number, if any, must agree.

    A heading may shorten the title (its words are among the title's). A line of plain
    text must be the whole title, give or take a typo: a report pasted from a word
    processor has no headings, and a sentence that merely uses the title's words
    ("pour démarrer un mini-système multi-conteneurs, …") opens nothing."""
    heading = unit.kind is UnitKind.HEADING
    if not heading and (unit.kind is not UnitKind.TEXT or unit.start != unit.end or unit.quoted
                        or LIST_ITEM.match(unit.text)
                        or len(unit.text) > 2 * max((len(e.title) for e in rubric.exercises),
                                                    default=0)):
        return None
    marker = unit.marker
    if marker is not None and (marker.kind is not MarkerKind.NUMBER or marker.subs):
        return None
    text = fold(marker.rest if marker is not None else strip_markdown(unit.text))
    if not heading:
        text = text.rstrip(" :")
    if len(text) < 12:
        return None
    for exercise in rubric.exercises:
        if marker is not None and marker.number != exercise.number:
            continue
        title = fold(exercise.title)
        if heading:
            if (fuzz.token_set_ratio(text, title) >= EXERCISE_TITLE_THRESHOLD
                    or _words_among(text, title)):
                return exercise.number
        elif fuzz.ratio(text, title) >= EXERCISE_TITLE_THRESHOLD:
            return exercise.number
    return None


_WORDS = re.compile(r"[^\W_]+")


def _words_among(text: str, title: str) -> bool:
    """Every word of ``text`` is a word of ``title``, long ones give or take a typo
    (``Demarer un mini-système`` for *Démarrer un mini-système multi-conteneurs …*)."""
    wanted = _WORDS.findall(title)
    words = _WORDS.findall(text)
    return len(words) >= 3 and all(
        word in wanted or (len(word) >= FUZZY_MIN_LENGTH and any(
            fuzz.ratio(word, other) >= FUZZY_THRESHOLD for other in wanted))
        for word in words)


def _numbered_questions(units: Sequence[Unit], rubric: Rubric) -> bool:
    """Whether the report's ``### 2.1`` headings number the lab's questions (2.1 is 2.a):
    in two exercises at least, never going down nor past an exercise's number of
    questions nor onto an id labelled elsewhere, and in most exercises the last one is
    its last question. A report numbering its own sections
    (``### 3.1 Le Dockerfile``, ``### 3.2 Le build``, ``### 3.3``, ``### 3.4``) keeps them
    as weak hints, its answers found by their content."""
    by_exercise: dict[int, list[int]] = {}
    explicit: set[str] = set()
    for unit in units:
        marker = unit.marker
        if (marker is not None and marker.kind is MarkerKind.NUMBER and marker.subs
                and marker.number is not None):
            by_exercise.setdefault(marker.number, []).append(int(marker.subs[0]))
        elif marker is not None and marker.kind is MarkerKind.QUESTION:
            explicit.update(marker.ids)
    if len(by_exercise) < 2 or sum(len(subs) for subs in by_exercise.values()) < 3:
        return False  # "### 1.1 Contexte … 1.3" alone is an introduction's numbering
    if any(_map_sub(rubric, number, str(sub)) in explicit  # "### 1.1 Contexte" before a
           for number, subs in by_exercise.items() for sub in subs):  # "Question 1.a"
        return False
    complete = 0
    for number, subs in by_exercise.items():
        count = len(rubric.exercise_questions(number))
        if not count or max(subs) > count or any(b < a for a, b in pairwise(subs)):
            return False
        complete += max(subs) == count
    return 2 * complete >= len(by_exercise)


def settle_tentative(units: Sequence[Unit], rubric: Rubric) -> None:
    """Keep the ids read from list items' numbers (``2) a)``) or Roman numerals
    (``### II.a``) only when the report's such ids number the lab's questions: in two
    exercises at least, in report order, never going down within an exercise nor onto an
    id labelled otherwise, each a question of the lab, most exercises starting on their
    first question and most ending on their last. Otherwise (an outline of the student's
    own, ``## I. Introduction`` ``### I.a Contexte``; a plan, ``1. a) Contexte``) each such
    line reads as it would without them (``Marker.fallback``). ``units`` are this parse's
    own: their markers are replaced in place."""
    tentative = [u for u in units if u.marker is not None and u.marker.tentative]
    if tentative and not _tentative_ids_hold(units, rubric):
        for unit in tentative:
            assert unit.marker is not None
            unit.marker = unit.marker.fallback


def _tentative_ids_hold(units: Sequence[Unit], rubric: Rubric) -> bool:
    explicit: set[str] = set()
    order: list[tuple[int, str]] = []
    for unit in units:
        marker = unit.marker
        if marker is None or marker.kind is not MarkerKind.QUESTION:
            continue
        if not marker.tentative:
            explicit.update(marker.ids)
        else:
            order.extend((marker.exercise or 0, question) for question in marker.ids)
    questions = {q.id: i for i, q in enumerate(rubric.questions)}
    if (len(order) < 3 or len({exercise for exercise, _ in order}) < 2
            or any(q not in questions or q in explicit for _, q in order)
            or any(questions[b] < questions[a] for (_, a), (_, b) in pairwise(order))):
        return False
    firsts: dict[int, str] = {}
    lasts: dict[int, str] = {}
    for exercise, question in order:
        firsts.setdefault(exercise, question)
        lasts[exercise] = question
    starts = sum(rubric.exercise_questions(e)[0].id == q for e, q in firsts.items())
    ends = sum(rubric.exercise_questions(e)[-1].id == q for e, q in lasts.items())
    return 2 * starts >= len(firsts) and 2 * ends >= len(lasts)


def _bare_numbers_count_questions(units: Sequence[Unit], rubric: Rubric) -> bool:
    """Whether ``Question 1``, ``Question 2`` … under each ``Exercice N`` number that
    exercise's questions: after each exercise label they never go down nor past its
    number of questions, in most exercises they start at 1 (a question left out may
    skip it), and some exercise has two. Otherwise a bare number is an exercise or a
    question by its context (``Question 2 :`` opening exercise 2)."""
    by_exercise: dict[int, list[int]] = {}
    exercise: int | None = None
    level = 0  # the exercise labels' heading level
    for unit in units:
        marker = unit.marker
        if marker is None:
            continue
        if marker.kind is MarkerKind.EXERCISE and marker.exercise is not None:
            exercise, level = marker.exercise, unit.heading_level
        elif marker.kind is MarkerKind.QUESTION:
            exercise = marker.exercise
        elif marker.kind is MarkerKind.BARE_QUESTION and marker.number is not None:
            if 0 < unit.heading_level <= level:  # "## Question 5" as exercise 5's heading
                exercise = marker.number
            elif exercise is None:
                return False
            else:
                by_exercise.setdefault(exercise, []).append(marker.number)
    if not any(len(numbers) >= 2 for numbers in by_exercise.values()):
        return False
    for number, numbers in by_exercise.items():
        count = len(rubric.exercise_questions(number))
        if max(numbers) > count or any(b < a for a, b in pairwise(numbers)):
            return False
    return 2 * sum(numbers[0] == 1 for numbers in by_exercise.values()) >= len(by_exercise)


_LETTER_ITEM = re.compile(r"( *)[-*+]\s+(?:\*\*|__)?([a-h])\s*[).](?:\*\*|__)?(?:\s|$)")


def _letter_item(unit: Unit) -> tuple[int, int] | None:
    """(indent, rank) of a text unit that opens a bullet with a letter (``- **b)** …``:
    rank 2)."""
    if unit.kind is not UnitKind.TEXT or unit.quoted:
        return None
    match = _LETTER_ITEM.match(unit.text)
    return (len(match.group(1)), ord(match.group(2)) - ord("a") + 1) if match else None


def _item_label(unit: Unit) -> str:
    """How an item that labels a question is written (``2.``, ``b)``), for the sheet."""
    opening = _ITEM.match(unit.text) or _LETTER_ITEM.match(unit.text)
    assert opening is not None, "only items read by _list_item or _letter_item"
    return opening.group(0).strip(" -*+_")


def _item_labels(units: Sequence[Unit], rubric: Rubric,
                 read: Callable[[Unit], tuple[int, int] | None]) -> dict[int, str]:
    """List items that label questions (unit start → question id): under ``Exercice 2``
    with no label of its own, ``1.`` ``2.`` … (``read=_list_item``) or ``- a)``
    ``- b)`` … (``_letter_item``) are 2.a, 2.b …, when the whole report numbers so: in
    each exercise the items count 1, 2, 3 … from its label, never past its number of
    questions, at least two exercises have them, and most end on their last question.
    Lists inside labelled answers are never read so."""
    items: dict[int, list[tuple[int, int]]] = {}  # exercise → (unit start, number)
    exercise: int | None = None
    labelled: set[int] = set()
    texts = 0  # the student's units in the exercise so far
    for unit in units:
        marker = unit.marker
        if marker is not None and marker.kind is MarkerKind.EXERCISE:
            exercise, texts = marker.exercise, 0
        elif marker is not None and marker.kind is not MarkerKind.NUMBER:
            if exercise is not None:
                labelled.add(exercise)
        elif exercise is not None and exercise not in labelled and not unit.quoted:
            item = read(unit)
            if item is not None and item[0] == 0:
                if not items.get(exercise) and texts:
                    return {}  # "J'ai installé Docker : 1. … 2. …": steps of an answer
                items.setdefault(exercise, []).append((unit.start, item[1]))
            elif unit.kind is not UnitKind.HEADING and not unit.is_prompt:
                texts += 1
    found = {number: runs for number, runs in items.items() if number not in labelled}
    if len(found) < 2:
        return {}
    complete = 0
    for number, runs in found.items():
        count = len(rubric.exercise_questions(number))
        if [n for _, n in runs] != list(range(1, len(runs) + 1)) or len(runs) > count:
            return {}
        complete += len(runs) == count
    if 2 * complete < len(found):
        return {}
    return {start: rubric.exercise_questions(number)[n - 1].id
            for number, runs in found.items() for start, n in runs}


def _map_sub(rubric: Rubric, exercise: int, sub: str) -> str | None:
    """``8.1`` means 8.a when exercise 8's questions have letters."""
    if sub.isdigit():
        questions = rubric.exercise_questions(exercise)
        index = int(sub) - 1
        if 0 <= index < len(questions):
            return questions[index].id
        return None
    question_id = f"{exercise}.{sub}"
    return question_id if rubric.question(question_id) is not None else None


def sections(units: Sequence[Unit], rubric: Rubric) -> list[_Section]:
    level_of_exercises = _exercise_level(units, rubric)
    numbered = _numbered_questions(units, rubric)
    bare_questions = _bare_numbers_count_questions(units, rubric)
    item_labels = (_item_labels(units, rubric, _list_item)
                   or _item_labels(units, rubric, _letter_item))
    current = _Section(closed=False, exercise=None)
    out = [current]
    exercise: int | None = None
    exercise_level = 0
    exercise_explicit = False
    exercise_ids = {e.number for e in rubric.exercises}

    def start_open(number: int | None, unit: Unit | None, after_closed: bool = False) -> _Section:
        section = _Section(closed=False, exercise=number, marker_unit=unit,
                           after_closed=after_closed)
        out.append(section)
        return section

    def start_closed(ids: tuple[str, ...], unit: Unit, found_by: str) -> _Section:
        marker = unit.marker
        section = _Section(closed=True, exercise=exercise, ids=ids, found_by=found_by,
                           label=marker.label if marker else None, marker_unit=unit,
                           marker_level=unit.heading_level)
        section.units.append(unit)
        section.item = _list_item(unit)
        out.append(section)
        return section

    for unit in units:
        titled = _exercise_titled(unit, rubric)
        if (titled is not None and unit.kind is not UnitKind.HEADING and current.closed
                and exercise is not None and titled <= exercise):
            titled = None  # an earlier exercise's title quoted in a labelled answer
        if titled is not None and titled != exercise:  # naming the current one: a sub-title
            exercise, exercise_level, exercise_explicit = titled, unit.heading_level, True
            current = start_open(exercise, unit)
            continue
        marker = unit.marker
        if (marker is not None and current.closed and _table_row(unit)
                and not (current.marker_unit is not None and _table_row(current.marker_unit))):
            current.units.append(unit)  # a recap table inside a labelled answer
            continue
        if unit.start in item_labels:
            # The item's number is its label, its line the answer's first (no marker: the
            # units are shared by every lab the report is tried against).
            current = start_closed((item_labels[unit.start],), unit, "label")
            current.label = _item_label(unit)
            current.marker_unit = current.item = None  # the next item: the next question
            continue
        if current.closed and current.item is not None and marker is None:
            # A label that opens a numbered item whose answer is indented under it ends
            # at the list's next item ("3. Rendu : …" after "2. Question 8.b:"), which
            # then answers nothing unless it matches an unlabelled question.
            sibling = _list_item(unit)
            indent, number = current.item
            if sibling is None:
                current.item_body = current.item_body or _indent(unit) > indent
            elif current.item_body and sibling == (indent, number + 1):
                current = start_open(exercise, None)
                current.units.append(unit)
                continue
        if unit.kind is UnitKind.CODE or marker is None:
            # A heading, or in a report labelled by plain lines a label line such as
            # "Synthèse :", may open an unlabelled answer; if nothing there matches a
            # question left unanswered, it stays in the labelled answer (after_closed).
            closes = current.closed and (
                (unit.kind is UnitKind.HEADING
                 and (current.marker_level == 0 or unit.heading_level <= current.marker_level))
                or (current.marker_level == 0 and current.units and introduces(unit)))
            if closes:
                current = start_open(exercise, None, after_closed=True)
            current.units.append(unit)
            continue
        kind = marker.kind
        if (numbered and kind is MarkerKind.NUMBER and marker.subs and marker.number is not None
                and unit.heading_level != level_of_exercises):
            question_id = _map_sub(rubric, marker.number, marker.subs[0])
            if question_id is not None:
                if marker.number != exercise:
                    exercise, exercise_explicit = marker.number, False
                current = start_closed((question_id,), unit, "label")
                continue
        if kind is MarkerKind.NUMBER and unit.heading_level == level_of_exercises:
            kind = MarkerKind.EXERCISE
            marker_exercise = marker.number
        else:
            marker_exercise = marker.exercise
        if kind is MarkerKind.BARE_QUESTION and marker.number is not None:
            number = marker.number
            question_id = (_map_sub(rubric, exercise, str(number)) if exercise is not None
                           else None)
            as_exercise = (question_id is None
                           or (unit.heading_level > 0 and exercise_level > 0
                               and unit.heading_level <= exercise_level)
                           or (number == exercise and not bare_questions))
            if as_exercise:
                kind, marker_exercise = MarkerKind.EXERCISE, number
            else:
                assert question_id is not None
                current = start_closed((question_id,), unit, "label")
                continue
        if kind is MarkerKind.EXERCISE and marker_exercise is not None:
            if marker_exercise not in exercise_ids:
                current.units.append(unit)
                continue
            exercise = marker_exercise
            exercise_level = unit.heading_level
            exercise_explicit = True
            current = start_open(exercise, unit)
            continue
        if kind is MarkerKind.QUESTION and marker.exercise is not None:
            number = marker.exercise
            ids = [_map_sub(rubric, number, sub) for sub in marker.subs]
            note = None
            if (exercise is not None and exercise_explicit and number < exercise):
                remapped = [_map_sub(rubric, exercise, sub) for sub in marker.subs]
                if all(remapped):
                    note = (f"label {marker.label!r} read as "
                            f"{', '.join(str(r) for r in remapped)}: "
                            f"it sits in exercise {exercise}")
                    ids = remapped
                    number = exercise
            valid = tuple(dict.fromkeys(i for i in ids if i is not None))
            if not valid:
                current.units.append(unit)
                continue
            if number != exercise:
                exercise = number
                exercise_explicit = False
            current = start_closed(valid, unit, "label")
            if note:
                unit.notes.append(note)
            continue
        if kind is MarkerKind.STEP and exercise is not None and marker.number is not None:
            step = [q for q in rubric.exercise_questions(exercise) if q.step == marker.number]
            if step:
                current = start_closed((step[0].id,), unit, "step")
                continue
        if kind is MarkerKind.LETTER and exercise is not None:
            question_id = _map_sub(rubric, exercise, marker.subs[0])
            if question_id is not None:
                current = start_closed((question_id,), unit, "letter")
                continue
        if (unit.kind is UnitKind.HEADING and current.closed
                and (current.marker_level == 0 or unit.heading_level <= current.marker_level)):
            current = start_open(exercise, None, after_closed=True)
        current.units.append(unit)
    return out


def align(units: Sequence[Unit], rubric: Rubric) -> list[Draft]:
    """Group the report's units into answer drafts, in document order."""
    parts = sections(units, rubric)
    labelled: dict[str, int] = {}
    for index, section in enumerate(parts):
        if section.closed:
            for question_id in section.ids:
                labelled.setdefault(question_id, index)
    with_heading = {s.exercise for s in parts if not s.closed and s.marker_unit is not None
                    and s.exercise is not None}
    with_heading |= {s.exercise for s in parts if s.closed and s.exercise is not None}
    order = {q.id: i for i, q in enumerate(rubric.questions)}
    drafts: list[Draft] = []
    previous: Draft | None = None
    for index, section in enumerate(parts):
        if section.closed:
            marker_unit = section.marker_unit
            draft = Draft(ids=section.ids, units=list(section.units), found_by=section.found_by,
                          label=section.label, marker_unit=marker_unit,
                          notes=list(marker_unit.notes) if marker_unit else [])
            drafts.append(draft)
            previous = draft
            continue
        candidates = _candidates(parts, index, section, rubric, labelled, order, with_heading)
        assigned = assign(section.units, candidates, rubric)
        leftover: list[Unit] = []
        for unit, assigned_id in zip(section.units, assigned, strict=True):
            if assigned_id is None:
                leftover.append(unit)  # only ever a prefix: the DP cannot return to state 0
                continue
            if drafts and drafts[-1].ids == (assigned_id,) and drafts[-1].found_by == "signature":
                drafts[-1].units.append(unit)
            else:
                drafts.append(Draft(ids=(assigned_id,), units=[unit], found_by="signature",
                                    label=None))
        if leftover and previous is not None and section.after_closed:
            # A sub-heading inside a labelled answer that matched nothing new: same answer.
            previous.units.extend(leftover)
            previous.units.sort(key=lambda u: u.start)
        if drafts:
            previous = drafts[-1]
    _fix_wrong_labels(drafts, rubric)
    return drafts


RELABEL_MIN = 2.0
"""Affinity a labelled answer must show for another question to be moved to it."""


def _fix_wrong_labels(drafts: list[Draft], rubric: Rubric) -> None:
    """A labelled answer that says nothing of its question but clearly answers an
    unlabelled question of the same exercise (``7.c`` holding ``ls`` and
    ``python --version``, with 7.b missing) is that question's answer."""
    taken = {i for d in drafts for i in d.ids}
    for draft in drafts:
        if draft.found_by != "label" or len(draft.ids) != 1:
            continue
        question = rubric.question(draft.ids[0])
        if question is None:
            continue
        pool = [q for q in rubric.exercise_questions(question.exercise)
                if q.id == question.id or q.id not in taken]
        if len(pool) < 2:
            continue
        model = affinity_model(rubric, pool)
        joined = Unit(UnitKind.TEXT, 0, 0, "\n".join(u.text for u in draft.units
                                                     if not u.is_prompt))
        scores = dict(zip((q.id for q in pool), model.scores(joined), strict=True))
        best = max(scores, key=lambda k: scores[k])
        if scores[question.id] == 0 and best != question.id and scores[best] >= RELABEL_MIN:
            draft.notes.append(f"label {draft.label!r} holds the answer to {best} (its content "
                               f"matches {best}, not {question.id}); read as {best}")
            draft.ids = (best,)
            taken.add(best)


def _candidates(parts: Sequence[_Section], index: int, section: _Section, rubric: Rubric,
                labelled: dict[str, int], order: dict[str, int],
                with_heading: set[int]) -> list[str]:
    if section.exercise is not None:
        numbers = sorted(e.number for e in rubric.exercises)
        allowed = {section.exercise}
        for number in numbers:
            if number > section.exercise:
                if number in with_heading:
                    break
                allowed.add(number)
        pool = [q.id for q in rubric.questions if q.exercise in allowed]
    else:
        marked = [p.exercise for p in parts[index + 1:] if p.exercise is not None]
        # Before the first exercise heading only earlier exercises can be answered.
        first = marked[0] if marked else None
        pool = [q.id for q in rubric.questions if first is None or q.exercise < first]
    low, high = -1, len(order)
    for before in reversed(parts[:index]):
        if before.closed:
            low = max(order.get(i, -1) for i in before.ids)
            break
    for after in parts[index + 1:]:
        if after.closed:
            high = min(order.get(i, len(order)) for i in after.ids)
            break
    bounded = [q for q in pool if q not in labelled and low < order[q] < high]
    if section.after_closed:
        # Text after a labelled answer goes to another question only when it earns
        # points there: given to a 0-point question (a git tag, an installation) on a
        # few shared words, it would be taken from the labelled answer for nothing.
        bounded = [q for q in bounded if (found := rubric.question(q)) is not None
                   and found.graded]
    return bounded


