"""Recognise the lines where students announce a question, an exercise or a step.

Students label answers in every style: ``#### 2.A``, ``**Question 2.a :**``,
``1. Question 8.a:``, ``Questio 2.c`` (typo), ``Question 8.1`` (number for a
letter), ``## Question 4.b - 4.c`` (merged), ``### 2a`` (no dot), ``### 📌 Question
2.a`` and ``- [x] 2.a`` (the decoration goes in ``text.strip_markdown``), ``### Lancer
un conteneur (2.b)`` (id last), ``a)`` or ``Question a`` under an exercise,
``Exercice 2.a``, ``2) a)`` (the exercise as a list item's number), ``Étape 2`` under
``Exercice 3``, ``## II.`` and ``### II.a`` (Roman numerals). This module
only reads one line at a time and says what it announces; deciding which
question id that means in context is the job of ``structure``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz

from grader.parse.text import strip_markdown


class MarkerKind(StrEnum):
    QUESTION = "question"
    """An explicit id such as ``2.a`` (possibly several when merged)."""
    EXERCISE = "exercise"
    """``Exercice 3``, ``EXERCISE 3``, ``## III.``, or ``Question 3`` with no letter."""
    STEP = "step"
    """``Étape 2`` / ``Step 2``: the statement's numbering inside an exercise."""
    LETTER = "letter"
    """``a)`` / ``b.``: a question letter with the exercise left implicit."""
    NUMBER = "number"
    """A numbered sub-heading (``### 2. Test de /health``, ``### 2.1 Images``): a weak hint,
    unless the report's ``N.M`` headings number the lab's questions (``subs`` holds M)."""
    BARE_QUESTION = "bare_question"
    """``Question 2`` with no letter: an exercise or a question number, by context."""


@dataclass(frozen=True, slots=True)
class Marker:
    kind: MarkerKind
    exercise: int | None = None
    subs: tuple[str, ...] = ()
    """Question letters (``a``) or numbers (``1``) as written, lowercase."""
    number: int | None = None
    """The step, sub-heading or bare question number."""
    label: str = ""
    """The marker text as written, for feedback and diagnostics."""
    rest: str = ""
    """What follows the marker on its line (a title, a prompt or an answer)."""
    heading_level: int = 0
    """Markdown heading level of the line (0 when not a heading)."""
    tentative: bool = False
    """An id read from a list item's number (``2) a)``) or Roman numerals (``### II.a``):
    it stands only when the whole report numbers its questions so
    (``structure.settle_tentative``); an outline of the student's own (``## I.
    Introduction``, ``### I.a Contexte``) or a plan (``1. a) Contexte``) does not, and the
    line reads as ``fallback`` (``None``: no marker)."""
    fallback: Marker | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        if self.exercise is None:
            return ()
        return tuple(f"{self.exercise}.{sub}" for sub in self.subs)


_ONE_TO_ONE = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "‑": "-", "−": "-",
                             "\u3000": " ",
                             **{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}})
"""Characters read as their ASCII twin, one for one (offsets kept): quotes, dashes and the
full-width forms of Asian keyboards (``Ｑｕｅｓｔｉｏｎ ２．ａ``)."""
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
          "x": 10, "xi": 11, "xii": 12}

# "question", with typos seen in real reports (questio, questioin, quesiton), "q", "réponse"
# (also "réponse à la question", "answer to question").
_QWORD = (r"(?:r[eé]ponses?\s+(?:[àa]\s+la\s+)?questions?|answers?\s+to\s+(?:the\s+)?questions?"
          r"|q(?:u[a-z]{0,3}s?[a-z]{0,4}ti?o[a-z]{0,3}s?)?|r[eé]ponses?|answer)")
_SUB = r"(?:[a-h]|\d{1,2})"
_SEP = r"\s*[.\-_/°]?\s*"
"""Between an exercise number and its letter: "2.a", "2-a", "2 a", "2/a", "2°a"."""
_ID_PREFIX = r"(?:\d{1,2}\s*[.\-]\s*|\d{1,2}(?=[a-h])|\d{1,2}\s(?=[a-h](?![^\W_])))?"
"""The number before a later merged id: "2.a et 2.b", "3a et 3b", "3 a et 3 b", or none
("2.a et b")."""


def _merged(prefix: str = _ID_PREFIX, sub: str = "[a-h]") -> str:
    """The pattern of the ids merged after a first one ("- 4.c", "et 6.b", "/2.b"), each
    written ``prefix`` then ``sub`` ("- c'est" is no 2.c), as one group."""
    return rf"((?:\)?\s*(?:[-,&/+]|et|and)\s*{prefix}{sub}(?![^\W_]|['’]))*)"


_MERGED = _merged()
"""Merged ids: letters only."""
# After an id, no letter or digit of any script: "5.a - Démarrage" is 5.a with a title, not
# 5.a and 5.d ("d" followed by "é"; an ASCII-only check let it through).
_QUESTION = re.compile(
    rf"^{_QWORD}\s*[:.\-n°#]*\s*[(\[]?(\d{{1,2}})(?:{_SEP}({_SUB})|\s*,\s*([a-h]))(?![^\W_])"
    + _merged(sub=_SUB)
)
# "Tâche 2.a", "Task 2.a": with a letter only; a bare "Task 2" is a Prefect task as often.
_TASK = re.compile(r"^(?:t[aâ]ches?|tasks?)\s*[:.\-n°#]*\s*(\d{1,2})(?:\s*[.\-]\s*|(?=[a-h]))"
                   r"([a-h])(?![^\W_])" + _MERGED)
"""("Tâche 1 a été relancée" is no 1.a: the letter follows a dot, a dash or the number.)"""
# A bare id at the start of a line: "2.a", "2.A :", "2-a", "2a)", "2. a)", "2) a)". A space
# between number and letter is only allowed when a bracket or colon closes the id,
# so that "3. a partir de" is not 3.a.
_BARE_ID = re.compile(
    r"^(\d{1,2})(?:[.\-]([a-h])(?![^\W_]|['’])|\s?[.\-)]?\s?([a-h])\s*(?=[)\]:]))"
    + _MERGED
)
# The same in brackets: "(2.a) …", "[2.a] …" (the bracket closed right after the id).
_BRACKETED_ID = re.compile(r"^[(\[]\s*(\d{1,2})(?:\s*[.\-]\s*|(?=[a-d]))([a-h])" + _MERGED
                           + r"\s*[)\]]")
"""Glued ("(2a)") only for a–d: "(5e)" is "5th" in French."""
# An id at the end of a heading, in brackets: "### Lancer un conteneur (2.b)",
# "### Le cache [Question 3.c]". Letters only: "(3.11)" is a version.
_TRAILING_ID = re.compile(
    rf"[(\[]\s*(?:{_QWORD}\s*[:.\-n°#]*\s*)?(\d{{1,2}})\s*[.\-]\s*([a-h])(?![^\W_])"
    + _MERGED + r"\s*[)\]]\s*$"
)
_REFERENCE = re.compile(r"(?:^|\s)(?:en|sur|voir|cf|comme|dans|de|du|des|à|a|vu|vs|see|in|"
                        r"from|as|like|than|avec|que|qu'en|selon|après|avant)\W*$")
"""A heading that ends by pointing at another question ("Même erreur qu'en (3.a)",
"Retour sur (2.a)") is not that question's label."""
# Glued ids from Word exports: "2.BQuand ...", "4.aL'option".
_GLUED_ID = re.compile(r"^(\d)\.([a-hA-H])(?=[A-ZÀ-Ý])")
# "Exercice 3", also after the lab's name or a number of the student's ("TP1 – Exercice 3",
# "1) Exercice 3").
_EXERCISE = re.compile(r"^(?:tp\s*\d{1,2}\s*[-:.,]?\s*|\d{1,2}\s*[.)\-:]\s*)?"
                       r"([a-z]{2,10})\s*[:.\-n°#]*\s*(\d{1,2}|[ivx]{1,4})\b")
_EXERCISE_WORDS = ("exercice", "exercise", "exercices", "exercises")
_EXERCISE_ALIASES = frozenset({"exo", "ex", "partie", "part"})
_MERGED_AFTER = re.compile(_MERGED)
_BARE_QNUM = re.compile(rf"^{_QWORD}\s*[:.\-n°#]*\s*(\d{{1,2}})(?![0-9]|\s*[.\-]\s*[0-9a-h]\b)")
_ORDINAL = re.compile(r"^(premi[eè]re?|1(?:[eè]re?|er)|deuxi[eè]me|seconde?|2n?de|troisi[eè]me"
                      r"|quatri[eè]me|cinqui[eè]me|sixi[eè]me|septi[eè]me|huiti[eè]me"
                      r"|[2-8](?:e|[eè]me))\s+questions?\b")
"""``Deuxième question :``: a question counted within its exercise, as a letter is (alone
on its line, or a heading or bold)."""
_ORDINALS = {"premi": 1, "1": 1, "deuxi": 2, "second": 2, "2": 2, "troisi": 3, "3": 3,
             "quatri": 4, "4": 4, "cinqui": 5, "5": 5, "sixi": 6, "6": 6, "septi": 7, "7": 7,
             "huiti": 8, "8": 8}
_STEP = re.compile(r"^(?:[eé]tape|step)\s*[:.\-n°#]*\s*(\d{1,2})\b")
# The end of a letter label: a bracket, or a stop that ends the word ("a-t-il", "e.g."
# and "b-a-ba" are words).
_LETTER_END = r"(?:\s*\)|\s*[.:\-](?=\s|$)|\s*$)"
_LETTER = re.compile(r"^\(?([a-h])\s*[)\]](?!\])|^([a-h])\s*[.:-](?:\s|$)"
                     rf"|^(?:questions?|q)\s*[:.\-n°#]*\s+\(?([a-h]){_LETTER_END}")
# After "Exercice 2": a letter ("Exercice 2.a", "Exo 2 a)", "Exercice 2 Question a"), not
# the start of a sentence ("Exercice 2 : A. Dupont", "Exercice 2 : a-t-il …").
_EXERCISE_LETTER = re.compile(rf"(?:[.\-]([a-h])(?![^\W_]|['’]|-\w)|\s+\(?([a-h])\)"
                              rf"|\s*[-:,]?\s*(?:questions?|q|parts?|partie)\s*\(?([a-h])"
                              rf"{_LETTER_END}"
                              rf"|\s*[-:,]?\s*(?:questions?|q)\s*([1-9])(?![^\W_]|\s*[.,]\d))")
"""Also "Exercice 2.a Lancer un conteneur" (the letter glued to the number ends the id),
"Exercise 2 – Part (a)", "Exercice 2, question a" and, by its number, "Ex 2 - Q1"."""
# "### 2a", "### 2a - titre": an id without its dot, on headings and bold lines only;
# "2e" and "4h" only alone ("2e - essai" is deuxième, "4h - fin" a time).
_GLUED_BARE = re.compile(
    r"^(\d{1,2})(?:([a-d])|([e-h])(?=\s*[:.)]?\s*$))" + _MERGED + r"(?=\s*(?:[-:.)]|$))")
_BULLET = re.compile(r"^\s*(?:>\s*)*[-*+]\s")
_LIST_NUMBER = re.compile(r"^\s*(?:>\s*)*(\d{1,2})[.)]\s")
"""A numbered list item's number, which ``strip_markdown`` drops: in "2) a) titre" the
exercise's."""
# Roman exercise numbers with a letter: "### II.a", "**III-b)** titre", "IV.c :",
# "Question II.a" ("i.e." and "v.s." are words); tentative, as a student's own outline
# numbers so too.
_ROMAN_NUMBER = r"(?:i{1,3}|iv|vi{0,3}|ix)"
_ROMAN_ID = re.compile(rf"^(?:{_QWORD}\s*[:.\-n°#]*\s*)?({_ROMAN_NUMBER})\s?[.\-)]\s?"
                       r"([a-h])(?![^\W_]|[.'’])"
                       + _merged(prefix=rf"(?:{_ROMAN_NUMBER}\s?[.\-]\s?)?"))
"""With its merged ids, their exercise in Roman numerals too: "IV.b et IV.c"."""
_NUMBERED = re.compile(r"^(\d{1,2}|[ivx]{1,4})\s*[.)\-:]\s*(?=\S)"
                       r"|^(\d{1,2}|[ivx]{1,4})\s*[.)\-:]?$")
_NUMBERED_SUB = re.compile(r"^(\d{1,2})\.([1-9])\.?(?=\s|$|[:)\-–—])")
_HEADING = re.compile(r"^\s*(#{1,6})\s")
_OPENING = str.maketrans(")]", "([")
_PAREN_SUB = re.compile(r"(\d)(\s?)\(([a-h])\)")
_EMPTY_ANCHOR = re.compile(r"<a\s[^>]*>\s*</a>\s*", re.IGNORECASE)
_LINK = re.compile(r"\[([^\]]+)\]\([^)\s]*\)")
"""A link's text: only on headings, so that a table of contents ("- [Question 2.a](#q2a)")
labels nothing."""


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_INLINE_TAG = re.compile(r"</?(?:b|strong|u|i|em|font|span|mark|ins|small|big)\b[^>]*>",
                         re.IGNORECASE)
_CALLOUT = re.compile(r"^(\s*(?:>\s*)+)\[!\w+\][+-]?\s*")
_HIGHLIGHT = re.compile(r"==(?=\S)(.+?)(?<=\S)==")
_ATTRIBUTES = re.compile(r"\[([^\]]*)\]\{[^}]*\}")
_GLUED_HASHES = re.compile(r"^(\s*(?:>\s*)*)#{1,6}(?=[^\s#])")


def _unwrap(line: str, is_heading: bool) -> str:
    """The line without what editors and exports wrap a label in: markdown escapes
    (pandoc's ``2\\.a``), inline HTML (``<b>``, ``<font color=…>``, an empty ``<a id=…>``
    anchor), an Obsidian callout's ``[!NOTE]`` or highlight ``==…==``, a pandoc span
    ``[…]{.underline}``, hashes without their space (``###Question 2.a``, a paragraph to
    markdown) and, on headings only, a link (``### [Question 3.a](#q3a)``: a table of
    contents' ``- [Question 2.a](#q2a)`` labels nothing)."""
    if "\\" in line:
        line = _ESCAPED.sub(r"\1", line)
    if "<" in line:
        line = _INLINE_TAG.sub("", _EMPTY_ANCHOR.sub("", line))
    if "[!" in line:
        line = _CALLOUT.sub(r"\1", line, count=1)
    if "==" in line:
        line = _HIGHLIGHT.sub(r"\1", line)
    if "]{" in line:
        line = _ATTRIBUTES.sub(r"\1", line)
    if is_heading and "](" in line:
        line = _LINK.sub(r"\1", line)
    elif not is_heading and "#" in line:
        line = _GLUED_HASHES.sub(r"\1", line, count=1)
    return line


def heading_level(line: str) -> int:
    match = _HEADING.match(line)
    return len(match.group(1)) if match else 0


def _subs(first: str, tail: str) -> tuple[str, ...]:
    subs = [first.lower()]
    for sub in re.findall(rf"(?<![^\W_]){_ID_PREFIX}({_SUB})(?![^\W_])", tail):  # not "and"'s d
        if sub.lower() not in subs:
            subs.append(sub.lower())
    return tuple(subs)


def read_marker(line: str, *, is_heading: bool | None = None) -> Marker | None:
    """Say what ``line`` announces, or ``None`` for an ordinary line.

    ``is_heading`` tells whether markdown parsed the line as a heading; numbered
    and Roman-numeral titles only count on headings, never on list items.
    """
    level = heading_level(line)
    if is_heading is None:
        is_heading = level > 0
    line = _unwrap(line, is_heading)
    raw = strip_markdown(line)
    if not raw:
        return None
    # Markers sit at the start of a line. Accents are kept ("À l'intérieur" is no id
    # 'a'), and the case folding keeps offsets, so ``rest`` is cut from the raw line.
    text = raw[:300].lower()
    if not text.isascii():  # the quotes and dashes to unify are all non-ASCII
        text = text.translate(_ONE_TO_ONE)
    if "(" in text:  # "Question 2(a)" read as "Question 2.a)", offsets kept
        text = _PAREN_SUB.sub(lambda m: f"{m.group(1)}{m.group(2)}.{m.group(3)})", text)
    glued = _GLUED_ID.match(raw)
    if glued:
        return Marker(MarkerKind.QUESTION, int(glued.group(1)), (glued.group(2).lower(),),
                      label=glued.group(0), rest=raw[glued.end():].strip(), heading_level=level)
    match = _QUESTION.match(text)
    if match:  # "Question 2, a": a comma before a letter only ("Questions 2, 3 et 4")
        return _id_marker(match, raw, text, level, match.group(2) or match.group(3),
                          match.group(4))
    match = _BARE_ID.match(text) or (
        _GLUED_BARE.match(text) if is_heading or _all_bold(line) else None)
    if match:  # both: (number, letter | letter, merged ids)
        return _id_marker(match, raw, text, level, match.group(2) or match.group(3),
                          match.group(4))
    match = _BRACKETED_ID.match(text) or _TASK.match(text)
    if match:
        return _id_marker(match, raw, text, level, match.group(2), match.group(3))
    match = _EXERCISE.match(text)
    # After a number of the student's ("1) Exemple 2") only the word itself; after the
    # lab's name ("TP1 - Ex 2") its short forms too.
    if match and (_is_exercise_word(match.group(1)) if not match.start(1)
                  or text.startswith("tp") else match.group(1) in _EXERCISE_WORDS):
        number = _to_int(match.group(2))
        sub = _EXERCISE_LETTER.match(text, match.end())
        if number is not None and sub is not None:
            first = sub.group(1) or sub.group(2) or sub.group(3) or sub.group(4)
            merged = _MERGED_AFTER.match(text, sub.end()) if first.isalpha() else None
            end = merged.end() if merged else sub.end()  # "Partie 3.a et 3.b"
            return Marker(MarkerKind.QUESTION, number,
                          _subs(first, merged.group(1)) if merged else (first,),
                          label=raw[:end].strip(), rest=_rest(raw, text, end),
                          heading_level=level)
        if number is not None:
            return Marker(MarkerKind.EXERCISE, number, label=raw[: match.end()].strip(),
                          rest=_rest(raw, text, match.end()), heading_level=level)
    match = _BARE_QNUM.match(text)
    if match:
        return Marker(MarkerKind.BARE_QUESTION, number=int(match.group(1)),
                      label=raw[: match.end()].strip(), rest=_rest(raw, text, match.end()),
                      heading_level=level)
    match = _STEP.match(text)
    if match:
        return Marker(MarkerKind.STEP, number=int(match.group(1)),
                      label=raw[: match.end()].strip(), rest=_rest(raw, text, match.end()),
                      heading_level=level)
    match = _ORDINAL.match(text)
    if match and (is_heading or line.lstrip(" >").startswith(("**", "__"))
                  or not text[match.end():].strip(" :.-")):
        # Alone on its line, a heading or bold: "Première question que je me suis posée"
        # and "2e question : voir plus haut" are sentences of an answer.
        word = match.group(1)
        number = next(n for prefix, n in _ORDINALS.items() if word.startswith(prefix))
        return Marker(MarkerKind.LETTER, subs=("abcdefgh"[number - 1],),
                      label=raw[: match.end()].strip(), rest=_rest(raw, text, match.end()),
                      heading_level=level)
    match = _LETTER.match(text)
    if match and not _BULLET.match(line):
        letter = match.group(1) or match.group(2) or match.group(3)
        listed = _LIST_NUMBER.match(line) if match.group(1) or match.group(2) else None
        bare = Marker(MarkerKind.LETTER, subs=(letter,), label=raw[: match.end()].strip(),
                      rest=_rest(raw, text, match.end()), heading_level=level)
        if listed:  # "2) a) titre": question a of exercise 2, if the report numbers so
            return Marker(MarkerKind.QUESTION, int(listed.group(1)), (letter,),
                          label=f"{line[listed.start(1):listed.end()].strip()} {bare.label}",
                          rest=bare.rest, heading_level=level, tentative=True, fallback=bare)
        return bare
    otherwise = _heading_number(raw, text, level) if is_heading else None
    match = _ROMAN_ID.match(text)
    if match:  # "### II.a": question 2.a, if the report numbers so
        return Marker(MarkerKind.QUESTION, _ROMAN[match.group(1)],
                      _subs(match.group(2), match.group(3)), label=raw[: match.end()].strip(),
                      rest=_rest(raw, text, match.end()), heading_level=level,
                      tentative=True, fallback=otherwise)
    return otherwise


def _heading_number(raw: str, text: str, level: int) -> Marker | None:
    """What a heading announces by its end or its numbering: ``### Lancer un conteneur
    (2.b)``, ``### 2.1 Images``, ``### 2. Test``, ``## II.``."""
    match = _TRAILING_ID.search(text)
    if match and not _REFERENCE.search(text, 0, match.start()):
        return Marker(MarkerKind.QUESTION, int(match.group(1)),
                      _subs(match.group(2), match.group(3)),
                      label=raw[match.start():].strip(" ()[]"),
                      rest=raw[:match.start()].strip(" :-–—"), heading_level=level)
    match = _NUMBERED_SUB.match(text)
    if match:  # "### 2.1 Titre": a section of section 2; a question when they all are
        return Marker(MarkerKind.NUMBER, number=int(match.group(1)), subs=(match.group(2),),
                      label=raw[: match.end()].strip(), rest=_rest(raw, text, match.end()),
                      heading_level=level)
    match = _NUMBERED.match(text)
    if match:
        number = _to_int(match.group(1) or match.group(2))
        if number is not None:
            return Marker(MarkerKind.NUMBER, number=number, label=raw[: match.end()].strip(),
                          rest=_rest(raw, text, match.end()), heading_level=level)
    return None


def _id_marker(match: re.Match[str], raw: str, text: str, level: int, first: str,
               tail: str) -> Marker:
    """The question marker of an id matched at the start of ``text`` (its exercise number
    in group 1)."""
    end = match.end()
    closing = raw[end:end + 1]
    if closing and closing in ")]" and \
            raw.count(closing.translate(_OPENING), 0, end) > raw.count(closing, 0, end):
        end += 1  # "Question 2(a)", "Question (2.a)": the bracket closes the label
    return Marker(MarkerKind.QUESTION, int(match.group(1)), _subs(first, tail),
                  label=raw[:end].strip(), rest=_rest(raw, text, end), heading_level=level)


def _all_bold(line: str) -> bool:
    """A line that is one bold label (``**2a**``, ``> __2a :__``)."""
    text = line.strip().lstrip(">").strip()
    return text.startswith(("**", "__")) and text.rstrip(" :").endswith(("**", "__"))


def _is_exercise_word(word: str) -> bool:
    """``Exercice``, ``EXERCISE``, and typos such as ``Execice`` or ``Exercie``."""
    if word in _EXERCISE_ALIASES:
        return True
    return word.startswith("ex") and any(
        fuzz.ratio(word, target) >= 85 for target in _EXERCISE_WORDS)


def _to_int(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return _ROMAN.get(token.lower())


def _rest(raw: str, text: str, end: int) -> str:
    """What follows the marker on its line, cut from the raw line (offsets are shared)."""
    del text
    return raw[end:].lstrip(" :.-–—)]：．）］").strip()
