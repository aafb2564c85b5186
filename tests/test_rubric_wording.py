"""The bundled rubrics give the same credit to the same idea in other words.

Each answer below says what a real corpus answer said (full credit from the
instructors), reworded as another student would, in French or in English: the
concept groups must know their words. They come from a study where seven corpus
reports were rewritten by hand in both languages; these are the answers that lost
credit before their words were added to the rubrics.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.models import Answer, Report
from grader.rubric import Rubric, load_rubric
from grader.scoring import score_report

RUBRICS = Path(__file__).resolve().parents[1] / "rubrics"

REWORDED = [
    ("tp1-docker", "2.b", "Docker va chercher l'image alpine sur le Docker Hub, fabrique un "
     "conteneur qui affiche le message, puis le conteneur se coupe tout seul."),
    ("tp1-docker", "2.b", "Docker fetches the alpine image, instantiates a container that prints "
     "the message, and the container shuts down right after."),
    ("tp1-docker", "4.a", "L'option -p fait correspondre le port 8000 de mon PC au port 8000 du "
     "conteneur."),
    ("tp1-docker", "4.a", "The -p option maps port 8000 of my computer to port 8000 of the "
     "container."),
    ("tp1-docker", "5.e", "docker stop met un seul conteneur à l'arrêt sans rien faire "
     "disparaître ; docker compose down fait disparaître tous les conteneurs et le réseau "
     "de la stack."),
    ("tp1-docker", "5.e", "docker stop only halts one container, no cleanup; docker compose down "
     "tears down the whole stack and gets rid of its containers and network."),
    ("tp1-docker", "6.d", "Avec -v, les volumes partent aussi : tout ce qui était enregistré dans "
     "la base est perdu."),
    ("tp1-docker", "6.d", "With -v the volumes go too: everything stored in the database is lost."),
    ("tp1-docker", "7.a", "Les logs montrent l'API qui se lance, puis chaque appel fait avec "
     "curl."),
    ("tp1-docker", "7.a", "The logs show the server booting up, then each call we make."),
    ("tp1-docker", "2.d", "In the interactive shell, ls shows a tiny isolated file system, "
     "uname -a a Linux kernel shared with the host, and exit quits the shell."),
    ("tp1-docker", "5.e", "docker stop arrête un seul conteneur et ne retire rien ; docker compose "
     "down arrête et supprime tous les conteneurs de la stack."),
    ("tp1-docker", "7.e", "Nettoyer évite de remplir le disque avec des images qui ne servent "
     "plus."),
    ("tp1-docker", "7.e", "Pruning avoids filling up the disk with images no longer used."),
    ("tp1-docker", "8.b", "Compose describes every service in one file and starts them with one "
     "command; in this lab the API reached the database by its service name."),
    ("tp1-docker", "2.a", "L'image sert de patron, avec le code et ses dépendances, pour créer des "
     "conteneurs ; un conteneur est un exemplaire de l'image qui s'exécute."),
    ("tp1-docker", "2.c", "Its main process, echo, has ended, so the container no longer runs."),
    ("tp1-docker", "4.a", "The -p option makes port 8000 of the container reachable on port 8000 "
     "of the host."),
    ("tp1-docker", "5.e", "docker stop only halts a single container, which stays on the system "
     "and can be restarted; docker compose down removes all the stack's containers."),
    ("tp1-docker", "8.b", "Compose décrit tous les services dans une seule configuration et les "
     "lance identique à chaque fois ; dans ce TP, l'API et la base démarraient ensemble."),
    ("tp2-ingestion", "5.b", "7043 lignes aux deux dates : les snapshots sont donc pareils, une "
     "version datée par client."),
    ("tp2-ingestion", "2.b", "The .env file holds the connection settings that Docker injects "
     "into the containers."),
    ("tp2-ingestion", "5.b", "7043 rows for each date: one row per user and per as_of date."),
    ("tp2-ingestion", "5.b", "Les deux dates donnent 7043 lignes : same number of rows, the user "
     "base is unchanged between the two months."),
    ("tp2-ingestion", "5.b", "7043 rows for both dates: no new users arrived in February, so each "
     "user has one row per date."),
]


@pytest.fixture(scope="module")
def rubrics() -> dict[str, Rubric]:
    return {rid: load_rubric(RUBRICS / f"{rid}.yaml") for rid in ("tp1-docker", "tp2-ingestion")}


def concept_results(rubric: Rubric, question: str, text: str) -> list[tuple[str, float]]:
    """(criterion code, fraction) of the question's concept criteria on ``text`` alone."""
    answer = Answer(question, (1, 1), text, text)
    report = Report("rapport.md", text, rubric.id, (answer,))
    sheet = score_report(report, rubric, student="alice")
    score = next(q for q in sheet.questions if q.id == question)
    return [(r.code, r.fraction) for r in score.results if r.kind in ("concepts", "any")]


@pytest.mark.parametrize(("lab", "question", "text"), REWORDED,
                         ids=[f"{q}-{i}" for i, (_, q, _) in enumerate(REWORDED)])
def test_reworded_answers_meet_the_concept_criteria(rubrics: dict[str, Rubric], lab: str,
                                                     question: str, text: str) -> None:
    results = concept_results(rubrics[lab], question, text)
    assert results
    if (lab, question) == ("tp2-ingestion", "5.b"):  # its 7043 count is another criterion
        results = results[-1:]
    assert all(fraction == 1.0 for _, fraction in results), results


def test_removal_words_do_not_credit_a_stop_that_removes_nothing(
        rubrics: dict[str, Rubric]) -> None:
    """5.e's first idea is that compose down removes the containers: an answer that only
    says what docker stop does, in the new words, does not have it."""
    results = concept_results(rubrics["tp1-docker"], "5.e",
                              "docker stop arrête le conteneur, qui reste visible avec ps -a.")
    assert results[0][1] == 0.0


@pytest.mark.parametrize("text", [
    "The hardest part was getting the upsert right.",
    "I found it hard to make the validation pass.",
    "The trickiest step was the Great Expectations validation.",
    "Difficulties encountered: the snapshots' primary key.",
    "J'ai eu du mal avec la clé primaire des snapshots.",
])
def test_tp2_reflection_names_the_difficulty_in_either_language(
        rubrics: dict[str, Rubric], text: str) -> None:
    """5.c's fourth criterion: what was the most difficult (French-only before)."""
    results = dict(concept_results(rubrics["tp2-ingestion"], "5.c", text))
    assert results["T101:5.c#4"] == 1.0


@pytest.mark.parametrize("text", ["SELECT version(); renvoie PostgreSQL 16.11 on x86_64",
                                  "PostgreSQL server version (16.11)"])
def test_tp1_postgres_version_with_words_between(rubrics: dict[str, Rubric], text: str) -> None:
    """6.b's result: "PostgreSQL 16", also with a few words before the number; the
    image tag (postgres:16) is not a result."""
    assert _regex_fraction(rubrics["tp1-docker"], "6.b", text) == 1.0
    assert _regex_fraction(rubrics["tp1-docker"], "6.b", "image: postgres:16") == 0.0


def _regex_fraction(rubric: Rubric, question: str, text: str) -> float:
    answer = Answer(question, (1, 1), text, text)
    sheet = score_report(Report("rapport.md", text, rubric.id, (answer,)), rubric,
                         student="alice")
    score = next(q for q in sheet.questions if q.id == question)
    return next(r.fraction for r in score.results if r.kind == "regex")


def test_an_english_connection_answer_is_found_as_6c(rubrics: dict[str, Rubric]) -> None:
    """Unlabelled, in English: 6.c's own words (another service, connection URI) open
    its answer at its lead-in, and the bare screenshot before it is 6.b's, as in the
    French original (TP1 s03)."""
    from grader.parse import parse_text

    text = ("## Exercice 6 : Interaction et Maintenance\n\n"
            "**Connecting to the database:**\n\n"
            "```bash\ndocker compose exec db psql -U demo -d demo\n```\n"
            "![shell](p18.png)\n"
            "  * `exec`: runs a command in a running container.\n"
            "  * `-U`: PostgreSQL user.\n"
            "![psql](p20.png)\n\n"
            "**Connection information:**\n"
            "For another service (such as the API) to connect to the database, the "
            "connection URI would be:\n"
            "`postgresql://demo:demo@db:5432/demo`\n")
    starts = {a.id: a.lines[0] for a in parse_text(text, rubrics["tp1-docker"]).answers}
    assert starts["6.b"] == 11 and starts["6.c"] == 13


def test_what_compose_down_keeps_is_not_what_stop_keeps(rubrics: dict[str, Rubric]) -> None:
    """5.e's second idea is that docker stop keeps the container; "the volumes remain"
    after compose down is not it."""
    results = dict(concept_results(
        rubrics["tp1-docker"], "5.e",
        "docker compose down removes the containers and the network; the volumes remain."))
    assert results["T101:5.e#2"] == 0.0


def test_tp2_upsert_described_in_other_words(rubrics: dict[str, Rubric]) -> None:
    """3.b's upsert ideas: rows "actualisées", "sans lignes en double"."""
    text = ("Avec INSERT ... ON CONFLICT, les lignes déjà présentes sont actualisées, sans "
            "lignes en double.")
    results = concept_results(rubrics["tp2-ingestion"], "3.b", text)
    assert results and all(fraction == 1.0 for _, fraction in results), results


WRONG = [  # (lab, question, answer, criterion, its fraction at most): the new words' traps
    ("tp1-docker", "7.a", "J'ai lancé docker compose logs -f api puis appelé /health, ça marche.",
     "X901:7.a#1", 0.0),
    ("tp1-docker", "7.a", "The api booted but no line appeared when I called /health",
     "X901:7.a#1", 0.0),
    ("tp1-docker", "5.e", "docker compose down removes the containers, but the volumes are not "
     "removed. docker stop stops a single container.", "T101:5.e#2", 0.0),
    ("tp1-docker", "7.e", "Nettoyer évite de saturer la RAM.", "T101:7.e#1", 0.0),
    ("tp2-ingestion", "5.b", "J'ai lancé le même flow pour les deux mois. Résultat : 7043 et 7043.",
     "T101:5.b#2", 0.0),
    ("tp2-ingestion", "2.b", ".env sert à mettre les paramètres de configuration directement dans "
     "le code Python.", "X901:2.b#1", 0.5),
    ("tp2-ingestion", "3.b", "upsert_csv fait un INSERT INTO ; si on exécute deux fois on obtient "
     "des lignes en double.", "X901:3.b#1", 0.34),
]


@pytest.mark.parametrize(("lab", "question", "text", "code", "most"), WRONG,
                         ids=[f"{q}-{i}" for i, (_, q, *_) in enumerate(WRONG)])
def test_wrong_answers_in_the_new_words_earn_nothing_more(
        rubrics: dict[str, Rubric], lab: str, question: str, text: str, code: str,
        most: float) -> None:
    """Answers a student might write that miss the idea, in the words added for
    rewordings (a false-credit review found these; the words were narrowed)."""
    rubric = rubrics[lab]
    answer = Answer(question, (1, 1), text, text)
    sheet = score_report(Report("rapport.md", text, rubric.id, (answer,)), rubric,
                         student="alice")
    score = next(q for q in sheet.questions if q.id == question)
    assert next(r.fraction for r in score.results if r.code == code) <= most


def test_postgres_version_regex_reads_no_number_after_other_words(
        rubrics: dict[str, Rubric]) -> None:
    for text in ("SELECT version() on postgres is not 16", "PostgreSQL dans la figure 16",
                 "postgres utilise 16 Mo"):
        assert _regex_fraction(rubrics["tp1-docker"], "6.b", text) == 0.0
