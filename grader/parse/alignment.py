"""Align the units of an unlabelled region to the questions it may answer.

A small dynamic programme over the units, in lab order: each unit scores its
affinity to each candidate question (see ``signatures``), opening a new answer
costs a little (answers stay whole) and is cheaper on a heading or label line.
Then a few rules about how students lay reports out: a label line joins what
it introduces, a heading leads its answer even across screenshots, bare
screenshots between two answers fill the questions skipped between them.
"""

from __future__ import annotations

from collections.abc import Sequence

from grader.models import IMAGE_MARKUP
from grader.parse.signatures import affinity_model
from grader.parse.text import LIST_ITEM
from grader.parse.units import HTML_TAG, Unit, UnitKind
from grader.rubric import Rubric

START_PENALTY = 1.0
"""Cost of opening a new answer in an unlabelled region: keeps answers whole."""
RIVAL_FACTOR = 0.5
"""How much a unit's affinity to another question counts against this one."""
HEADING_BONUS = 1.0
"""A heading or label line that matches a question opens its answer at no cost."""


def assign(units: Sequence[Unit], candidates: list[str], rubric: Rubric) -> list[str | None]:
    """For each unit of an unlabelled region, the candidate question it answers
    (``None`` for the region's introduction), keeping the lab's order."""
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
    result = _keep_lists_whole(units, result)
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


def introduces(unit: Unit) -> bool:
    """A short label line ending with a colon ("Docker-compose.yml :"): it introduces
    what follows rather than saying anything itself."""
    return (unit.kind is UnitKind.TEXT and _is_lead_in(unit)
            and unit.text.strip().strip("*_ ").endswith(":"))


def _keep_lists_whole(units: Sequence[Unit], result: list[str | None]) -> list[str | None]:
    """An answer does not start inside a list: a student's list (``- docker ps : …``,
    ``- docker ps -a : …``) answers one question, which its later items often name
    best. When an answer starts at an item that follows another of the same list (no
    blank line between), the list's earlier items join it; the lead-in above the list
    may then join too (``_pull_back_lead_ins``)."""
    for i in range(1, len(units)):
        if result[i] is None or result[i] == result[i - 1]:
            continue
        item = _item_indent(units[i])
        if item is None:
            continue
        first = i
        while (first > 0 and units[first - 1].end + 1 == units[first].start
               and _item_indent(units[first - 1]) == item):
            first -= 1
        for k in range(first, i):
            result[k] = result[i]
    return result


def _item_indent(unit: Unit) -> int | None:
    if unit.kind is not UnitKind.TEXT:
        return None
    match = LIST_ITEM.match(unit.text.lstrip(">").rstrip())
    return len(match.group(1)) if match else None


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
                and all(introduces(u) for u in units[i:j + 1])):
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
    """A unit that is only image references (no words of the student's); in HTML, the
    tags around them too (``<p align="center"><img …></p>``)."""
    if unit.kind not in (UnitKind.TEXT, UnitKind.HTML) or not IMAGE_MARKUP.search(unit.text):
        return False
    rest = IMAGE_MARKUP.sub("", unit.text)
    if unit.kind is UnitKind.HTML:
        rest = HTML_TAG.sub("", rest)
    return not rest.strip(" \t>*-_")
