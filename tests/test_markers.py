"""Lines that must, and must not, be read as markers (``grader.parse.markers.read_marker``).

Like hadolint's ``ruleCatches`` / ``ruleCatchesNot`` pairs: each style students use to
announce a question, an exercise or a step, next to look-alike lines that are ordinary text.
"""

from __future__ import annotations

import pytest

from grader.parse.markers import MarkerKind, read_marker

QUESTIONS = [
    # (line, ids, label as written)
    ("Question 2.a :", ("2.a",), "Question 2.a"),
    ("Question 2.a.", ("2.a",), "Question 2.a"),
    ("**Question 2.a :**", ("2.a",), "Question 2.a"),
    ("__Question 2.a__", ("2.a",), "Question 2.a"),
    ("> **Question 2.c :** le conteneur est Exited", ("2.c",), "Question 2.c"),
    ("#### Question 3.a", ("3.a",), "Question 3.a"),
    ("QUESTION 2.A", ("2.a",), "QUESTION 2.A"),
    ("#### 2.A", ("2.a",), "2.A"),
    ("#### 2.A :", ("2.a",), "2.A"),
    ("**2.a**", ("2.a",), "2.a"),
    ("2.a)", ("2.a",), "2.a"),
    ("2-a)", ("2.a",), "2-a"),
    ("1. Question 8.a:", ("8.a",), "Question 8.a"),
    ("Question 8.1", ("8.1",), "Question 8.1"),
    ("Questio 2.c", ("2.c",), "Questio 2.c"),
    ("Questioin 7.e", ("7.e",), "Questioin 7.e"),
    ("Quesiton 7.c", ("7.c",), "Quesiton 7.c"),
    ("Q2.a", ("2.a",), "Q2.a"),
    ("Q 2.a", ("2.a",), "Q 2.a"),
    ("Question n°2.a", ("2.a",), "Question n°2.a"),
    ("Question 2-a", ("2.a",), "Question 2-a"),
    ("Réponse 2.a", ("2.a",), "Réponse 2.a"),
    ("## Question 4.b - 4.c -", ("4.b", "4.c"), "Question 4.b - 4.c"),
    ("## Questions 6.a et 6.b", ("6.a", "6.b"), "Questions 6.a et 6.b"),
    ("Question 6.c & 6.d", ("6.c", "6.d"), "Question 6.c & 6.d"),
    ("Question 2.a/2.b", ("2.a", "2.b"), "Question 2.a/2.b"),
    ("### Questions 3a et 3b", ("3.a", "3.b"), "Questions 3a et 3b"),
    ("→ Question 2.b", ("2.b",), "Question 2.b"),
    ("1️⃣ Question 2.a", ("2.a",), "Question 2.a"),
    # an id without its dot, on a heading or a bold line
    ("### 2a", ("2.a",), "2a"),
    ("### 2a - Image et conteneur", ("2.a",), "2a"),
    ("**2a**", ("2.a",), "2a"),
    ("### 5a et 5b", ("5.a", "5.b"), "5a et 5b"),
    # a letter after the exercise
    ("#### Exercice 2.a", ("2.a",), "Exercice 2.a"),
    ("#### Ex 2.a", ("2.a",), "Ex 2.a"),
    ("Exo 2 a)", ("2.a",), "Exo 2 a)"),
    ("Exercice 2 Question a", ("2.a",), "Exercice 2 Question a"),
    ("2.BQuand on lance le conteneur", ("2.b",), "2.B"),
    # a title after a dash that starts with an id letter followed by an accent
    ("### Question 5.a - Démarrage de la stack", ("5.a",), "Question 5.a"),
    ("### 5.a - Démarrage de la stack", ("5.a",), "5.a"),
    ("Question 5.a - déploiement", ("5.a",), "Question 5.a"),
    ("Question 2.b – écrire le Dockerfile", ("2.b",), "Question 2.b"),
    # emoji, pictograms and task boxes before the label
    ("### 📌 Question 2.a", ("2.a",), "Question 2.a"),
    ("✅ **Question 2.a :**", ("2.a",), "Question 2.a"),
    ("- ✅ Question 3.c", ("3.c",), "Question 3.c"),
    ("## 👉🏽 Question 4.b", ("4.b",), "Question 4.b"),
    ("## ⚙️ 6.a", ("6.a",), "6.a"),
    ("- [x] 2.a", ("2.a",), "2.a"),
    ("- [ ] **Question 7.b**", ("7.b",), "Question 7.b"),
    # the id at the end of a heading, in brackets
    ("### Lancer un conteneur (2.b)", ("2.b",), "2.b"),
    ("### Le cache des couches [Question 3.c]", ("3.c",), "Question 3.c"),
    ("#### Différence image – conteneur (Q2.a)", ("2.a",), "Q2.a"),
    ("### Healthcheck et dépendances (6.a et 6.b)", ("6.a", "6.b"), "6.a et 6.b"),
    ("### Lister avec docker ps -a (4.d)", ("4.d",), "4.d"),
    ("### uname -a (2.d)", ("2.d",), "2.d"),
    # the id in brackets at the start; other words for "question"
    ("(2.a) Une image est un modèle", ("2.a",), "(2.a)"),
    ("[3.b] Le cache", ("3.b",), "[3.b]"),
    ("(6.a et 6.b) Healthcheck", ("6.a", "6.b"), "(6.a et 6.b)"),
    ("### Réponse à la question 2.a", ("2.a",), "Réponse à la question 2.a"),
    ("**Answer to question 4.b**", ("4.b",), "Answer to question 4.b"),
    ("**Task 2.c**", ("2.c",), "Task 2.c"),
    ("### Tâche 5.a :", ("5.a",), "Tâche 5.a"),
    # an anchor for links before the label; a heading that is a link
    ('### <a id="question-2b"></a>Question 2.b', ("2.b",), "Question 2.b"),
    ('### <a name="q2"></a> 2.b - Lancer', ("2.b",), "2.b"),
    ("### [Question 3.a](#question-3a)", ("3.a",), "Question 3.a"),
    # what editors and exports wrap a label in
    ("Question 2\\.a", ("2.a",), "Question 2.a"),
    ("<b>Question 2.a</b>", ("2.a",), "Question 2.a"),
    ('<font color="blue">**Question 2.b**</font>', ("2.b",), "Question 2.b"),
    ("> [!NOTE] Question 2.c", ("2.c",), "Question 2.c"),
    ("==Question 3.a==", ("3.a",), "Question 3.a"),
    ("[Question 3.b :]{.underline}", ("3.b",), "Question 3.b"),
    ("###Question 4.a", ("4.a",), "Question 4.a"),
    # a letter in brackets after the number; the exercise then the question
    ("Question 2(a)", ("2.a",), "Question 2(a)"),
    ("Question (2.a) : texte", ("2.a",), "Question (2.a)"),
    ("### Question [3.b]", ("3.b",), "Question [3.b]"),
    ("### 2 (b) Lancer alpine", ("2.b",), "2 (b)"),
    ("Q2(a) & 2(b)", ("2.a", "2.b"), "Q2(a) & 2(b)"),
    ("Exercise 2 – Part (c)", ("2.c",), "Exercise 2 – Part (c)"),
    ("Exercice 4, question a :", ("4.a",), "Exercice 4, question a :"),
    ("Ex 2 - Q1", ("2.1",), "Ex 2 - Q1"),
    ("Exercice 2.a Lancer un conteneur", ("2.a",), "Exercice 2.a"),
    ("Question 2°a : Lancer alpine", ("2.a",), "Question 2°a"),  # an AZERTY keyboard's °
    ("Question 2, b : Lancer alpine", ("2.b",), "Question 2, b"),
    ("Ｑｕｅｓｔｉｏｎ ２．ｂ：Lancer alpine", ("2.b",), "Ｑｕｅｓｔｉｏｎ ２．ｂ"),  # full width
    ("Partie 3.a et 3.b", ("3.a", "3.b"), "Partie 3.a et 3.b"),
    # the exercise as a list item's number, or in Roman numerals on a heading or in bold
    ("2) a) Lancer alpine", ("2.a",), "2) a)"),
    ("1. b. Lister les conteneurs", ("1.b",), "1. b."),
    ("**II.a** Lancer alpine", ("2.a",), "II.a"),
    ("### III-b : le cache", ("3.b",), "III-b"),
    ("#### VI.c", ("6.c",), "VI.c"),
    ("Question II.b : Lancer alpine", ("2.b",), "Question II.b"),
    ("### V.d et V.e", ("5.d", "5.e"), "V.d et V.e"),
    # merged ids: "and" is no id d, "3 a et 3 b" is 3.a and 3.b, "c'est" no id c
    ("Exercice 2.b - c'est parti", ("2.b",), "Exercice 2.b"),
    ("Question 3.a - c'était long", ("3.a",), "Question 3.a"),
    ("Question 2.a and 2.b", ("2.a", "2.b"), "Question 2.a and 2.b"),
    ("question 3 a et 3 b", ("3.a", "3.b"), "question 3 a et 3 b"),
    ("Question 4 b) et 4 c)", ("4.b", "4.c"), "Question 4 b) et 4 c"),
]


@pytest.mark.parametrize(("line", "ids", "label"), QUESTIONS)
def test_question_markers(line: str, ids: tuple[str, ...], label: str) -> None:
    marker = read_marker(line)
    assert marker is not None
    assert marker.kind is MarkerKind.QUESTION
    assert marker.ids == ids
    assert marker.label == label


@pytest.mark.parametrize(("line", "fallback"), [
    ("2) a) Lancer alpine", MarkerKind.LETTER),
    ("### II.a Lancer alpine", MarkerKind.NUMBER),
    ("**II.a** Lancer alpine", None),
    ("II.a - Lancer alpine", None),
    ("Question II.a : Lancer alpine", None),
])
def test_ids_from_list_numbers_and_roman_numerals_are_tentative(
        line: str, fallback: MarkerKind | None) -> None:
    """Such ids stand only if the whole report numbers its questions so; otherwise the
    line reads as it would without them (``structure.settle_tentative``)."""
    marker = read_marker(line)
    assert marker is not None and marker.tentative and marker.ids == ("2.a",)
    assert (marker.fallback.kind if marker.fallback else None) == fallback
    assert not read_marker("### Question 2.a").tentative  # type: ignore[union-attr]


def test_trailing_id_only_on_headings() -> None:
    assert read_marker("Lancer un conteneur (2.b)") is None
    marker = read_marker("### Lancer un conteneur (2.b)")
    assert marker is not None and marker.rest == "Lancer un conteneur"


def test_question_marker_keeps_what_follows() -> None:
    marker = read_marker("Question 2.b. Exécutez un conteneur très léger :")
    assert marker is not None and marker.rest == "Exécutez un conteneur très léger :"
    glued = read_marker("2.BQuand on lance le conteneur")
    assert glued is not None and glued.rest == "Quand on lance le conteneur"
    heading = read_marker("### Question 2.a")
    assert heading is not None and heading.heading_level == 3


EXERCISES = [
    ("**EXERCICE 3 :**", 3),
    ("## TP1 - Ex 2", 2),
    ("## TP1 – Exo 3 : Construire", 3),
    ("## Exercice 2 : Premiers pas avec Docker", 2),
    ("# Exercice 3 – Construire", 3),
    ("Exercice2", 2),
    ("Exercices 4", 4),
    ("EXERCISE 4", 4),
    ("#### Execice 1 : installation", 1),
    ("Excercice 5", 5),
    ("Exo 5", 5),
    ("Partie 3", 3),
    ("## 🐳 Exercice 2 : Premiers pas", 2),
    ("## TP1 – Exercice 2 : Premiers pas", 2),
    ("## TP 1 - Exercice 4", 4),
    ("## 1) Exercice 2", 2),
    ("### 3. Exercice 3 : Construire", 3),
    ("2️⃣ Exercice 2", 2),
    ("Exercice 2 - a partir de l'image", 2),
    ("Exercice 2 : à faire", 2),
    ("Exercice 2 : a-t-il fallu reconstruire ?", 2),
    ("Exercice 2 : e.g. un test", 2),
    ("Exercice 2 : A. Dupont", 2),
]


@pytest.mark.parametrize(("line", "number"), EXERCISES)
def test_exercise_markers(line: str, number: int) -> None:
    marker = read_marker(line)
    assert marker is not None
    assert (marker.kind, marker.exercise) == (MarkerKind.EXERCISE, number)


STEPS = [
    ("Étape 2 — Compléter le Dockerfile", 2, "Compléter le Dockerfile"),
    ("Etape 1 :", 1, ""),
    ("##### Etape 3 : Construire l'image", 3, "Construire l'image"),
    ("étape 4", 4, ""),
    ("ETAPE 3 :", 3, ""),
    ("Etape2", 2, ""),
    ("Step 2", 2, ""),
]


@pytest.mark.parametrize(("line", "number", "rest"), STEPS)
def test_step_markers(line: str, number: int, rest: str) -> None:
    marker = read_marker(line)
    assert marker is not None
    assert (marker.kind, marker.number, marker.rest) == (MarkerKind.STEP, number, rest)


LETTERS = [
    ("a)", "a"),
    ("b) <img src=\"x.png\">", "b"),
    ("c.", "c"),
    ("(d)", "d"),
    ("a) ☑", "a"),
    ("  e) texte", "e"),
    ("B)", "b"),
    ("**a)**", "a"),
    ("Question a)", "a"),
    ("Question b :", "b"),
    ("### Question c", "c"),
    # French ordinals count the questions within their exercise, as letters do
    ("### Première question : Lancer alpine", "a"),
    ("1ère question", "a"),
    ("### Deuxième question", "b"),
    ("2e question :", "b"),
    ("**Quatrième question**", "d"),
]


@pytest.mark.parametrize(("line", "letter"), LETTERS)
def test_letter_markers(line: str, letter: str) -> None:
    marker = read_marker(line)
    assert marker is not None
    assert (marker.kind, marker.subs) == (MarkerKind.LETTER, (letter,))
    assert marker.exercise is None and marker.ids == ()


NUMBERED_HEADINGS = [
    ("## II. Premiers pas avec Docker", 2),
    ("## IV. Exécuter l'API", 4),
    ("### 2. Test de l'endpoint `/health`", 2),
    ("### 1. Lancer le conteneur", 1),
]


@pytest.mark.parametrize(("line", "number"), NUMBERED_HEADINGS)
def test_numbered_headings(line: str, number: int) -> None:
    marker = read_marker(line)
    assert marker is not None
    assert (marker.kind, marker.number) == (MarkerKind.NUMBER, number)


@pytest.mark.parametrize("line", ["2. Test de l'endpoint", "II. Premiers pas"])
def test_numbered_lines_count_only_on_headings(line: str) -> None:
    """The same numbering on a list item or a plain line is not a section."""
    assert read_marker(line, is_heading=False) is None


@pytest.mark.parametrize(("line", "number"), [("Question 2 :", 2), ("### Question 3 :", 3),
                                              ("Question 2", 2)])
def test_bare_question_numbers(line: str, number: int) -> None:
    marker = read_marker(line)
    assert marker is not None
    assert (marker.kind, marker.number) == (MarkerKind.BARE_QUESTION, number)


NOT_MARKERS = [
    "3. a partir de l'image",
    "3. À partir de l'image alpine",
    "La commande docker ps -a liste les conteneurs",
    "- a) foo",
    "* b) bar",
    "+ c) baz",
    "1. Exécutez un conteneur très léger",
    "Questions de réflexion",
    "Questionnaire",
    "La question 2.a demande une explication",
    "Voir question 2.b",
    "Exemple 1",
    "Example 2",
    "Expérience 2",
    "Explications 3",
    "Exécution d'Alpine",
    "Etapes suivantes",
    "a partir de la",
    "b.a.-ba",
    "2.5 Go utilisés",
    "version 3.11",
    "8000:8000",
    "1.2.png",
    "docker ps -a",
    "i) texte",
    "Q&A",
    "exercice",
    "",
    "   ",
    "**",
    "📌 À retenir",
    "✅ Le conteneur démarre",
    "- [x] Dockerfile créé",
    "TP1 terminé",
    "1) Exemple 2",
    "### Python (3.11)",
    "2a -",
    "2a. La commande",
    "### 2h de travail",
    "**2h de travail**",
    "≥ 0 est une borne",
    "Question à rendre",
    "- **a)** foo",
    # sentences that start like a letter or an id (review of the new label styles)
    "Question : a-t-il été supprimé ?",
    "Q: e.g. docker ps",
    "Question : b-a-ba",
    "**2e - essai**",
    "### 2e - Essai",
    "**4h - fin**",
    "### Même erreur qu'en (3.a)",
    "### Retour sur (2.a)",
    "2: exercer 3 fois",
    "12 - Part 1 of 3",
    "Exercer 3 fois",
    "Le conteneur s'arrête (voir 2.b)",
    "(3.11) est la version",
    "(2. a partir de)",
    "Tâches de fond",
    "Réponse à la question précédente",
    "- [Question 2.a](#question-2a)",  # a table of contents
    "[Question 2.a](#question-2a)",
    "#include <stdio.h>",
    "<b>Important</b> : le port 8000",
    "> [!NOTE] Le conteneur redémarre",
    "Version 3(a) du fichier",
    "TP1 - Exemple 2",
    "Task 2",  # a Prefect task as often as a question
    "Tâche 1 : upsert_csv",
    "Task 1.2 terminée",
    "Tâche 1 a été exécutée avec succès",
    "(5e) tentative",
    "(2e) essai",
    "**i.e. le conteneur**",
    "Deuxième questionnaire",
    "Première question que je me suis posée : pourquoi le port ?",
    "2e question : voir plus haut.",
    "Première partie du TP",
]


@pytest.mark.parametrize("line", NOT_MARKERS)
def test_ordinary_lines_are_not_markers(line: str) -> None:
    assert read_marker(line) is None


@pytest.mark.parametrize("line", ["2a)", "2b) Le conteneur s'arrête"])
def test_glued_bare_id_with_bracket(line: str) -> None:
    marker = read_marker(line)
    assert marker is not None and marker.kind is MarkerKind.QUESTION


@pytest.mark.parametrize("line", ["### 3. a partir de l'image",
                                  "### 2. À l'intérieur du conteneur"])
def test_numbered_heading_with_french_a_is_not_an_id(line: str) -> None:
    marker = read_marker(line)
    assert marker is not None
    assert marker.kind is MarkerKind.NUMBER


def test_question_range_is_not_a_letter() -> None:
    marker = read_marker("## Questions 2 à 4")
    assert marker is None or marker.ids != ("2.a",)


@pytest.mark.parametrize("line", ["## III.", "### 2."])
def test_bare_numbered_heading(line: str) -> None:
    marker = read_marker(line)
    assert marker is not None and marker.kind is MarkerKind.NUMBER
