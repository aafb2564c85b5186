"""Rubric loading: valid files load, invalid ones stop with file, line, key and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.criteria import REGISTRY
from grader.errors import RubricError
from grader.rubric import load_rubric, parse_rubric

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """\
schema: 1
id: demo-lab
title: Demo
exercises:
  - {number: 1, title: First}
questions:
  - id: "1.a"
    exercise: 1
    title: A question
    points: 2
    criteria:
      - kind: concepts
        groups: [[image, modèle]]
        missed: Définissez l'image.
"""


def _error(text: str) -> str:
    with pytest.raises(RubricError) as caught:
        parse_rubric(text, source="lab.yaml")
    return str(caught.value)


def test_minimal_rubric_loads_with_defaults() -> None:
    rubric = parse_rubric(MINIMAL)
    assert rubric.id == "demo-lab"
    assert rubric.max_total == 2
    assert rubric.scale.out_of == 20
    assert rubric.questions[0].criteria[0].params == {"groups": [["image", "modèle"]]}
    assert len(rubric.digest) == 64


def test_every_bundled_rubric_is_valid() -> None:
    paths = sorted((ROOT / "rubrics").glob("*.yaml"))
    assert paths, "no rubric bundled"
    for path in paths:
        rubric = load_rubric(path)
        assert rubric.graded_questions, path


def test_tp1_rubric_encodes_the_answer_key_structure() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "tp1-docker.yaml")
    graded = [q.id for q in rubric.graded_questions]
    assert graded[0] == "2.a" and graded[-1] == "8.b" and len(graded) == 27
    assert all(q.criteria for q in rubric.graded_questions)
    assert rubric.scale.out_of == 20


def test_unknown_criterion_kind_names_line_and_key() -> None:
    text = MINIMAL.replace("kind: concepts", "kind: concept")
    assert _error(text) == (
        "lab.yaml:12: questions[0].criteria[0].kind: unknown criterion kind 'concept'; "
        "use one of: " + ", ".join(REGISTRY))


def test_missing_feedback_is_reported_with_its_key() -> None:
    text = MINIMAL.replace("        missed: Définissez l'image.\n", "")
    assert _error(text) == ("lab.yaml:12: questions[0].criteria[0].missed: "
                            "required key is missing; add it")


def test_bad_parameter_of_a_kind_is_reported() -> None:
    text = MINIMAL.replace("groups: [[image, modèle]]", "groups: [[image, modèle]]\n        min: 3")
    assert _error(text) == ("lab.yaml:12: questions[0].criteria[0]: min is 3 but there are "
                            "only 1 groups; lower min or add groups")


def test_unknown_parameter_is_reported() -> None:
    text = MINIMAL.replace("groups: [[image, modèle]]", "groups: [[image, modèle]]\n        mni: 1")
    assert _error(text) == ("lab.yaml:14: questions[0].criteria[0].mni: unknown parameter for "
                            "kind 'concepts'; remove it or check its spelling")


def test_question_id_must_match_its_exercise() -> None:
    text = MINIMAL.replace('id: "1.a"', 'id: "2.a"')
    assert _error(text) == ("lab.yaml:7: questions[0]: id '2.a' does not start with its exercise "
                            "number 1; write id '1.x' or fix 'exercise'")


def test_malformed_question_id() -> None:
    text = MINIMAL.replace('id: "1.a"', 'id: "1a"')
    assert _error(text).startswith("lab.yaml:7: questions[0].id: string should match pattern")


def test_yaml_syntax_error_gives_line() -> None:
    text = MINIMAL.replace("title: Demo", "title: [Demo")
    message = _error(text)
    assert message.startswith("lab.yaml:")
    assert "invalid YAML" in message and "indentation and quoting" in message


def test_negative_points_rejected() -> None:
    text = MINIMAL.replace("points: 2", "points: -1")
    assert _error(text) == ("lab.yaml:10: questions[0].points: input should be greater than or "
                            "equal to 0").replace("input", "Input")


def test_not_a_mapping() -> None:
    assert _error("- just\n- a list\n") == (
        "lab.yaml:1: a rubric must be a mapping with 'id', 'title', 'exercises' and 'questions'")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="cannot read the rubric"):
        load_rubric(tmp_path / "nope.yaml")
