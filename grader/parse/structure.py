"""Decide which units of a report answer which question.

Explicit labels win (``Question 2.a``, ``#### 2.A``, ``a)`` under an exercise,
``Étape 2`` under ``Exercice 3``); the exercise a label sits in wins over a
mistyped number. Where a region has no labels (one heading per exercise,
topical headings, no markup at all), its units are aligned to the questions
not labelled elsewhere, in lab order, by a small dynamic programme over their
signature affinities (see ``signatures``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from rapidfuzz import fuzz

from grader.models import IMAGE_MARKUP
from grader.parse.markers import MarkerKind
from grader.parse.signatures import affinity_model
from grader.parse.text import fold, strip_markdown
from grader.parse.units import Unit, UnitKind
from grader.rubric import Rubric

START_PENALTY = 1.0
"""Cost of opening a new answer in an unlabelled region: keeps answers whole."""
RIVAL_FACTOR = 0.5
"""How much a unit's affinity to another question counts against this one."""
HEADING_BONUS = 1.0
"""A heading or label line that matches a question opens its answer at no cost."""


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
    when it carries no exercise label of its own; its number, if any, must agree."""
    if unit.kind is not UnitKind.HEADING:
        return None
    marker = unit.marker
    if marker is not None and marker.kind is not MarkerKind.NUMBER:
        return None
    text = fold(marker.rest if marker is not None else strip_markdown(unit.text))
    if len(text) < 12:
        return None
    for exercise in rubric.exercises:
        if marker is not None and marker.number != exercise.number:
            continue
        if fuzz.token_set_ratio(text, fold(exercise.title)) >= EXERCISE_TITLE_THRESHOLD:
            return exercise.number
    return None


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
        out.append(section)
        return section

    for unit in units:
        titled = _exercise_titled(unit, rubric)
        if titled is not None and titled != exercise:  # naming the current one: a sub-title
            exercise, exercise_level, exercise_explicit = titled, unit.heading_level, True
            current = start_open(exercise, unit)
            continue
        marker = unit.marker
        if unit.kind is UnitKind.CODE or marker is None:
            # A heading, or in a report labelled by plain lines a label line such as
            # "Synthèse :", may open an unlabelled answer; if nothing there matches a
            # question left unanswered, it stays in the labelled answer (after_closed).
            closes = current.closed and (
                (unit.kind is UnitKind.HEADING
                 and (current.marker_level == 0 or unit.heading_level <= current.marker_level))
                or (current.marker_level == 0 and current.units and _introduces(unit)))
            if closes:
                current = start_open(exercise, None, after_closed=True)
            current.units.append(unit)
            continue
        kind = marker.kind
        if kind is MarkerKind.NUMBER and unit.heading_level == level_of_exercises:
            kind = MarkerKind.EXERCISE
            marker_exercise = marker.number
        else:
            marker_exercise = marker.exercise
        if kind is MarkerKind.BARE_QUESTION and marker.number is not None:
            number = marker.number
            as_exercise = (
                exercise is None or number == exercise
                or (unit.heading_level > 0 and exercise_level > 0
                    and unit.heading_level <= exercise_level)
                or _map_sub(rubric, exercise, str(number)) is None
            )
            if as_exercise:
                kind, marker_exercise = MarkerKind.EXERCISE, number
            else:
                assert exercise is not None
                question_id = _map_sub(rubric, exercise, str(number))
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
        assigned = _assign(section, candidates, rubric)
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
    if not bounded:
        return []
    return bounded


def _assign(section: _Section, candidates: list[str], rubric: Rubric) -> list[str | None]:
    units = section.units
    if not units or not candidates:
        return [None] * len(units)
    questions = [rubric.question(c) for c in candidates]
    model = affinity_model(rubric, [q for q in questions if q is not None])
    affinity = [model.scores(unit) for unit in units]
    _mute_narrative_intro(units, affinity)
    k = len(candidates)
    neg = float("-inf")
    # state 0: before the first answer; state j+1: inside candidate j.
    score = [[neg] * (k + 1) for _ in units]
    back = [[0] * (k + 1) for _ in units]
    for i, row in enumerate(affinity):
        best_other = [max((row[m] for m in range(k) if m != j), default=0.0) for j in range(k)]
        top = max(row, default=0.0)
        emit = [-RIVAL_FACTOR * top] + [row[j] - RIVAL_FACTOR * best_other[j] for j in range(k)]
        bonus = _opening_bonus(units[i])
        for state in range(k + 1):
            if i == 0:
                if state == 0:
                    score[i][state] = emit[0]
                elif row[state - 1] > 0:
                    score[i][state] = emit[state] - START_PENALTY + bonus
                continue
            stay = score[i - 1][state]
            best, origin = stay, state
            if state > 0 and row[state - 1] > 0:
                for prior in range(state):
                    value = score[i - 1][prior] - START_PENALTY + bonus
                    if value > best:
                        best, origin = value, prior
            if best == neg:
                continue
            score[i][state] = best + emit[state]
            back[i][state] = origin
    state = max(range(k + 1), key=lambda s: score[-1][s])
    path = [0] * len(units)
    for i in range(len(units) - 1, -1, -1):
        path[i] = state
        state = back[i][state]
    result: list[str | None] = [candidates[s - 1] if s > 0 else None for s in path]
    result = _drop_bare_introductions(units, result)
    result = _pull_back_lead_ins(units, result, affinity, candidates)
    return _fill_gaps_with_screenshots(units, result, candidates)


INTRO_MAX_AFFINITY = 3.0
"""Below this (no command, code or copied prompt), a unit before the region's first
sub-heading is narrative ("Nous allons maintenant…"), not an answer."""


def _mute_narrative_intro(units: Sequence[Unit], affinity: list[list[float]]) -> None:
    """When a region is organised by sub-headings, the prose before its first one only
    introduces it: answers start at the headings. Prose carrying a real signature (a
    command, the lab's code, a copied prompt) is left alone: it may be an answer given
    before any heading."""
    first = next((i for i, u in enumerate(units) if u.kind is UnitKind.HEADING), None)
    if not first:  # no sub-heading, or the region opens on one: no introduction
        return
    if any(max(row, default=0) >= INTRO_MAX_AFFINITY for row in affinity[:first]):
        return
    if sum(1 for u in units if u.kind is UnitKind.HEADING) < 2:
        return
    for i in range(first):
        affinity[i] = [0.0] * len(affinity[i])


def _opening_bonus(unit: Unit) -> float:
    """How much a unit looks like the start of an answer: a heading or a bold label
    line fully, a plain "Label :" line half (it more often introduces a list)."""
    if unit.is_structural:
        return HEADING_BONUS
    if not _is_lead_in(unit):
        return 0.0
    text = unit.text.strip().lstrip(">").strip()
    return HEADING_BONUS if text.startswith(("**", "__")) else HEADING_BONUS / 2


def _is_lead_in(unit: Unit) -> bool:
    """A heading or short label line (``**Commande :**``) that introduces what follows."""
    if unit.kind is UnitKind.HEADING:
        return True
    if unit.kind is not UnitKind.TEXT:
        return False
    text = unit.text.strip().lstrip(">").strip()
    words = text.split()
    if not words or len(words) > 10:
        return False
    bare = text.strip("*_ ")
    return bare.endswith(":") or (text.startswith(("**", "__")) and text.endswith(("**", "__")))


def _introduces(unit: Unit) -> bool:
    return (unit.kind is UnitKind.TEXT and _is_lead_in(unit)
            and unit.text.strip().strip("*_ ").endswith(":"))


def _drop_bare_introductions(units: Sequence[Unit], result: list[str | None]
                             ) -> list[str | None]:
    """An answer made of nothing but a line such as "Docker-compose.yml :" is not an
    answer: that line introduces the next answer, which it joins."""
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and result[j + 1] == result[i]:
            j += 1
        if (result[i] is not None and j + 1 < len(units)
                and all(_introduces(u) for u in units[i:j + 1])):
            for k in range(i, j + 1):
                result[k] = result[j + 1]
        i = j + 1
    return result


def _pull_back_lead_ins(units: Sequence[Unit], result: list[str | None],
                        affinity: list[list[float]], candidates: list[str]) -> list[str | None]:
    """An answer starts at the heading or label line that introduces it, even when
    screenshots sit between that line and the answer's first words."""
    for i in range(1, len(units)):
        current = result[i]
        if current is None or result[i - 1] == current:
            continue
        j = i - 1
        while j >= 0 and result[j] != current:
            k = j
            while k >= 0 and result[k] != current and _is_image(units[k]):
                k -= 1  # screenshots between the lead-in and the answer go with it
            if k < 0 or result[k] == current or not _is_lead_in(units[k]):
                break
            previous = result[k]
            if previous is not None and affinity[k][candidates.index(previous)] > 0:
                break
            for m in range(k, j + 1):
                result[m] = current
            j = k - 1
    return result


def _fill_gaps_with_screenshots(units: Sequence[Unit], result: list[str | None],
                                candidates: list[str]) -> list[str | None]:
    """Screenshots with no words between two answers fill the questions skipped between
    them, in order: a student who answers some questions by a bare screenshot leaves
    nothing for signatures to find, but the screenshot sits where the answer belongs.
    Only between two answers: before a region's first answer, skipped questions are
    more often simply not answered.

    Between answer A and the next answer B, the pool is A's trailing screenshots (A keeps
    the first one when it ends with a command: that is the command's output) followed by
    B's leading lead-in lines and screenshots (B keeps what the skipped questions do not
    take). A keeps its first trailing screenshot when it has no other one."""
    order = {c: i for i, c in enumerate(candidates)}
    i = 0
    while i < len(units):
        b_start = i
        while b_start < len(units) and result[b_start] == result[i]:
            b_start += 1
        if b_start >= len(units):
            break
        a_label, b_label = result[i], result[b_start]
        if b_label is None:
            i = b_start
            continue
        low = order[a_label] if a_label is not None else -1
        skipped = [c for c in candidates if low < order[c] < order[b_label]]
        if skipped:
            _fill_one_gap(units, result, i, b_start, skipped)
        i = b_start
    return result


def _fill_one_gap(units: Sequence[Unit], result: list[str | None], a_start: int,
                  b_start: int, skipped: list[str]) -> None:
    tail = b_start
    while tail > a_start and _is_image(units[tail - 1]):
        tail -= 1
    trailing = list(range(tail, b_start))
    own_images = any(_is_image(units[k]) for k in range(a_start, tail))
    if trailing and tail > a_start and (units[tail - 1].kind is UnitKind.CODE or not own_images):
        # A keeps the first one: the output of its last command, or its only screenshot.
        trailing = trailing[1:]
    if result[a_start] is None:
        trailing = []
    b_label = result[b_start]
    j = b_start
    lead_ins: list[int] = []
    leading: list[int] = []
    while j < len(units) and result[j] == b_label and (_is_lead_in(units[j]) or _is_image(
            units[j])):
        (leading if _is_image(units[j]) else lead_ins).append(j)
        j += 1
    if j >= len(units) or result[j] != b_label:
        leading = leading[:-1]  # B made of screenshots only keeps its last one
    pool = trailing + leading
    for question, index in zip(skipped, pool, strict=False):
        result[index] = question
    if pool and leading and pool.index(leading[0]) < len(skipped):
        first = result[leading[0]]
        for index in lead_ins:
            if index < leading[0]:
                result[index] = first


def _is_image(unit: Unit) -> bool:
    """A unit that is only image references (no words of the student's)."""
    if unit.kind not in (UnitKind.TEXT, UnitKind.HTML):
        return False
    return bool(IMAGE_MARKUP.search(unit.text)) and not IMAGE_MARKUP.sub("", unit.text).strip(
        " \t>*-_")
