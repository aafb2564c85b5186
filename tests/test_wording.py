"""Tolerant French/English word matching (``grader/wording.py``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.wording import SynonymIndex, find, may_occur, prepare

SYNONYMS = ["conteneur", "image Docker", "redémarr*", "-d", "port 8000", "docker ps -a",
            "variables d'environnement", "persist*", "volume", "couche", "layer", "cache",
            "restart: always", "hôte", "éphémère", "0.0.0.0"]


@pytest.mark.parametrize(("text", "synonym", "snippet"), [
    ("Le Conteneur s'arrête", "conteneur", "Conteneur"),
    ("les conteneurs tournent", "conteneur", "conteneurs"),
    ("on redémarre le service", "redémarr*", "redémarre"),
    ("lancé avec -d en arrière-plan", "-d", "-d"),
    ("l'hote expose le port", "hôte", "hote"),
    ("les variables d’environnement", "variables d'environnement", "variables d’environnement"),
    ("un environement", "environnement", "environement"),
])
def test_find_tolerates_case_accents_inflections_and_typos(text: str, synonym: str,
                                                           snippet: str) -> None:
    assert find(prepare(text), synonym) == snippet


@pytest.mark.parametrize(("text", "synonym"), [
    ("d'abord on lance", "-d"),
    ("une image", "image Docker"),
    ("le volume", "volumes persistants"),
])
def test_find_rejects_what_is_not_there(text: str, synonym: str) -> None:
    assert find(prepare(text), synonym) is None


WORDS = st.sampled_from(["le", "conteneur", "conteneurs", "image", "Docker", "redémarrage",
                         "-d", "port", "8000", "ps", "-a", "docker", "volume", "persistant",
                         "hôte", "hote", "Éphémère", "0.0.0.0", "restart:", "always",
                         "couches", "cache", "d'environnement", "variables", "x"])


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=12))
def test_index_candidates_are_exactly_the_synonyms_that_may_occur(words: list[str]) -> None:
    text = prepare(" ".join(words))
    expected = {s for s in SYNONYMS if may_occur(text, s)}
    assert SynonymIndex(SYNONYMS).candidates(text) == expected
    # may_occur is a necessary condition of an exact find
    assert {s for s in SYNONYMS if find(text, s, fuzzy=False) is not None} <= expected
