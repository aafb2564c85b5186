"""The ``command`` criterion (C201): pass/fail pairs for every equivalence and near miss."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from grader.criteria.base import Context
from grader.criteria.commands import Command, CommandParams
from grader.criteria.shell import parse_expected
from grader.models import Answer, CodeBlock, CodeKind, CodeOrigin, Judgement, Report
from grader.rubric import Question

QUESTION = Question(id="4.a", exercise=4, title="t", points=1.0)
FIRST = 10
"""Report line of the answer's first line in the reports built here."""
BEFORE = "\n".join(f"ligne {n}" for n in range(1, FIRST))


def _blocks(text: str, first: int, kind: CodeKind) -> tuple[CodeBlock, ...]:
    """The fenced blocks of ``text`` (whose first line is report line ``first``)."""
    blocks: list[CodeBlock] = []
    start: int | None = None
    lines = text.split("\n")
    for offset, line in enumerate(lines):
        if not line.lstrip().startswith("```"):
            continue
        if start is None:
            start = offset
            continue
        body = "\n".join(lines[start + 1:offset])
        blocks.append(CodeBlock(kind, body, (first + start, first + offset), CodeOrigin.FENCED))
        start = None
    return tuple(blocks)


def context(text: str | None, *, prompt: tuple[int, ...] = (), elsewhere: str = "",
            kind: CodeKind = CodeKind.CONSOLE, other_prompt: tuple[int, ...] = ()) -> Context:
    """A report whose answer to 4.a starts at line ``FIRST``; ``elsewhere`` follows it, as the
    answer to 5.a (whose ``other_prompt`` lines copy the statement)."""
    answers: list[Answer] = []
    parts = [BEFORE]
    answer = None
    if text is not None:
        count = text.count("\n") + 1
        kept = [line for offset, line in enumerate(text.split("\n"))
                if FIRST + offset not in prompt]
        answer = Answer(id="4.a", lines=(FIRST, FIRST + count - 1), text=text,
                        student_text="\n".join(kept), prompt_lines=prompt,
                        code_blocks=_blocks(text, FIRST, kind))
        answers.append(answer)
        parts.append(text)
    else:
        parts.append("Question 4.a")
    if elsewhere:
        start = sum(part.count("\n") + 1 for part in parts) + 1
        parts.append(elsewhere)
        answers.append(Answer(id="5.a", lines=(start, start + elsewhere.count("\n")),
                              text=elsewhere, student_text=elsewhere,
                              prompt_lines=other_prompt,
                              code_blocks=_blocks(elsewhere, start, kind)))
    full = "\n".join(parts)
    blocks = tuple(block for a in answers for block in a.code_blocks)
    report = Report(path="rapport.md", text=full, lab="tp1", answers=tuple(answers),
                    code_blocks=blocks)
    return Context(question=QUESTION, answer=answer, report=report)


def judge(command: str, text: str | None, *, partial: bool = False, anywhere: bool = False,
          prompt: tuple[int, ...] = (), elsewhere: str = "", kind: CodeKind = CodeKind.CONSOLE,
          other_prompt: tuple[int, ...] = ()) -> Judgement:
    params = CommandParams(command=command, partial=partial, anywhere=anywhere)
    ctx = context(text, prompt=prompt, elsewhere=elsewhere, kind=kind, other_prompt=other_prompt)
    return Command.judge(params, ctx)


# --- equivalences: (expected, what the student wrote) -------------------------------------

CATCHES = [
    # the same command, in every place a command can be written
    ("docker ps -a", "docker ps -a"),
    ("docker ps -a", "```bash\ndocker ps -a\n```"),
    ("docker ps -a", "J'ai lancé `docker ps -a` pour lister les conteneurs."),
    ("docker ps -a", "> *docker ps -a*"),
    ("docker ps -a", ">*docker ps -a*"),
    ("docker ps -a", "* *docker ps -a* : affiche tous les conteneurs."),
    ("docker ps -a", "**`docker ps -a`** = tous les conteneurs"),
    ("docker ps -a", "- `docker ps` affiche les actifs, `docker ps -a` affiche tout"),
    ("docker ps -a", "-docker ps -a : Liste tous les conteneurs existants"),
    ("docker ps -a", "La commande docker ps -a liste tous les conteneurs."),
    ("docker ps -a", "docker ps affiche les actifs, et docker ps -a liste tous les conteneurs."),
    ("docker ps -a", "Puis on regarde avec docker ps -a."),
    ("docker ps -a", "| `docker ps -a` | tous les conteneurs |"),
    ("docker ps -a", "```console\n$ docker ps -a\nCONTAINER ID   IMAGE\n```"),
    ("docker ps -a", "```\nuser@host:~/tp1$ docker ps -a\nCONTAINER ID   IMAGE\n```"),
    ("docker ps -a", "```\n(.venv) adam@MacBook-Air CSC8613-TP1 % docker ps -a\n```"),
    ("docker ps -a", "```\n% docker ps -a\n```"),
    ("docker ps -a", "```\nPS C:\\Users\\x\\tp1> docker ps -a\n```"),
    ("docker ps -a", "```\nsudo docker ps -a\n```"),
    ("docker ps -a", "```\ndocker ps -a | grep alpine\n```"),
    ("docker ps -a", "```\ndocker ps -a   # tous les conteneurs\n```"),
    ("docker ps -a", "\u201cdocker ps -a\u201d montre tout"),
    ("docker ps -a", "« docker ps -a » montre tout"),
    ("docker ps -a", "La commande <code>docker ps -a</code> montre tout"),
    ("docker ps -a", "[docker ps -a](https://docs.docker.com/reference/cli/docker/container/ls/)"),
    # docker container / docker image subcommands
    ("docker ps -a", "docker container ls -a"),
    ("docker ps -a", "docker container ls --all"),
    ("docker ps -a", "docker container ps -a"),
    ("docker ps -a", "docker container list -a"),
    ("docker ps", "docker container ls"),
    ("docker container ls -a", "docker ps -a"),
    ("docker run hello-world", "docker container run hello-world"),
    ("docker stop api", "docker container stop api"),
    ("docker rm api", "docker container rm api"),
    ("docker logs -f api", "docker container logs --follow api"),
    ("docker exec -it api sh", "docker container exec -it api sh"),
    ("docker container prune", "docker container prune -f"),
    ("docker build -t simple-api .", "docker image build -t simple-api ."),
    ("docker images", "docker image ls"),
    ("docker image ls", "docker images"),
    ("docker image prune", "docker image prune -a"),
    # docker-compose = docker compose, global options before the subcommand
    ("docker compose up -d", "docker-compose up -d"),
    ("docker-compose up -d", "docker compose up -d"),
    ("docker compose up -d", "docker compose up --detach"),
    ("docker compose up -d", "docker compose -f docker-compose.yml up -d"),
    ("docker compose up -d", "docker compose --file=docker-compose.yml -p tp1 up -d"),
    ("docker compose up -d", "docker-compose up --build -d"),
    ("docker compose up -d --build", "docker-compose up --build -d"),
    ("docker compose up -d", "docker compose up -d && docker compose ps"),
    ("docker compose ps", "docker compose up -d && docker compose ps"),
    ("docker compose ps", "docker compose up -d; docker compose ps"),
    ("docker compose down -v", "docker compose down --volumes"),
    ("docker compose down -v", "docker-compose down -v --remove-orphans"),
    ("docker compose down", "docker compose down -v"),
    ("docker compose logs -f api", "docker compose logs --follow api"),
    ("docker compose logs -f api", "docker compose logs api -f"),
    ("docker compose logs -f api", "docker compose logs -f --tail=50 api"),
    ("docker compose restart api", "docker compose restart db api"),
    ("docker compose exec api sh", "docker compose exec -it api sh"),
    ("docker compose exec db psql -U demo -d demo",
     "docker compose exec db psql -U demo -d demo"),
    ("docker compose exec db psql -U demo -d demo",
     "docker compose exec -T db psql --username=demo --dbname=demo"),
    ("docker compose exec db psql -U demo -d demo", "docker compose exec db psql -d demo -U demo"),
    ("docker compose exec db psql -U demo -d demo", "docker compose exec db psql -U demo demo"),
    ("docker compose exec db psql -U demo -d demo", "docker-compose exec db psql -Udemo -ddemo"),
    # docker run: short/long flags, order, extra flags, combined flags, --flag=value
    ("docker run -p 8000:8000 simple-api", "docker run --publish 8000:8000 simple-api"),
    ("docker run -p 8000:8000 simple-api", "docker run --publish=8000:8000 simple-api"),
    ("docker run -p 8000:8000 simple-api", "docker run -p8000:8000 simple-api"),
    ("docker run -p 8000:8000 simple-api", "docker run -d -p 8000:8000 --name api simple-api"),
    ("docker run -p 8000:8000 simple-api", "docker run --rm --name=api -p 8000:8000 simple-api"),
    ("docker run -p 8000:8000 simple-api", "docker run -dp 8000:8000 simple-api"),
    ("docker run -p 8000:8000 simple-api", "docker run -p 8000:8000 simple-api:latest"),
    ("docker run -p 8000:8000 simple-api", "docker run -p 8000:8000/tcp simple-api"),
    ("docker run -p 8000:8000 simple-api", "docker run -p '8000:8000' \"simple-api\""),
    ("docker run -p 8000:8000 simple-api", "docker.exe run -p 8000:8000 simple-api"),
    ("docker run -p 8000:8000 simple-api",
     "La commande docker run -p 8000:8000 simple-api lance le conteneur."),
    ("docker run -d -p 8000:8000 simple-api", "docker run --detach -p 8000:8000 simple-api"),
    ("docker run -it alpine sh", "docker run -i -t alpine sh"),
    ("docker run -it alpine sh", "docker run -ti alpine sh"),
    ("docker run -it alpine sh", "docker run --interactive --tty alpine sh"),
    ("docker run -it alpine sh", "docker run -it --rm alpine:latest sh"),
    ("docker run -it alpine sh", "Avec docker run -it alpine sh, je lance un shell."),
    ("docker run -it alpine sh", "docker run -it alpine /bin/sh"),
    ("docker run -e POSTGRES_USER=demo postgres:16",
     "docker run --env POSTGRES_USER=demo postgres:16"),
    ("docker run -e POSTGRES_USER=demo postgres:16",
     "docker run --env=POSTGRES_USER=demo postgres:16"),
    ("docker run -v data:/data alpine", "docker run --volume data:/data alpine"),
    ("docker run --name api simple-api", "docker run --name=api simple-api"),
    ("docker run alpine", "docker run docker.io/library/alpine"),
    ('docker run alpine echo "Bonjour depuis un conteneur Alpine"',
     "docker run alpine echo 'Bonjour depuis un conteneur Alpine'"),
    ('docker run alpine echo "Bonjour depuis un conteneur Alpine"',
     'La commande docker run alpine echo "Bonjour depuis un conteneur Alpine" télécharge '
     "l'image."),
    ('docker run alpine echo "Bonjour depuis un conteneur Alpine"',
     "```\ndocker run alpine echo \u201cBonjour depuis un conteneur Alpine\u201d\n```"),
    ('docker run alpine echo "Bonjour depuis un conteneur Alpine"',
     "```\ndocker run alpine echo Bonjour depuis un conteneur Alpine\n```"),
    ("docker run -p 8000:8000 simple-api",
     "```\ndocker run -d \\\n  -p 8000:8000 \\\n  simple-api\n```"),
    ("docker run -p 8000:8000 simple-api", "```\ndocker run -d `\n  -p 8000:8000 simple-api\n```"),
    # docker build: -t is --tag here, -f is --file, the context keeps its place
    ("docker build -t simple-api .", "docker build --tag simple-api ."),
    ("docker build -t simple-api .", "docker build --tag=simple-api:latest ."),
    ("docker build -t simple-api .", "docker build . -t simple-api"),
    ("docker build -t simple-api .", "docker build -t simple-api ./"),
    ("docker build -t simple-api .", "docker buildx build -t simple-api ."),
    ("docker build -t simple-api .", "docker build --no-cache -t simple-api ."),
    ("docker build -t simple-api .", "```\nC:\\Users\\x\\dir>docker build -t simple-api .\n```"),
    ("docker build -t simple-api .",
     "> *C:\\Users\\LENOVO\\Desktop\\TP1-Docker\\simple-api>docker build -t simple-api .*"),
    ("docker build -t simple-api .", "J'ai lancé docker build -t simple-api . puis vérifié."),
    ("docker build -f Dockerfile -t simple-api .",
     "docker build --file Dockerfile -t simple-api ."),
    # logs, stop, placeholders
    ("docker logs -f api", "docker logs --follow api"),
    ("docker stop <nom_ou_id_du_conteneur>", "docker stop c4a37f856bf3"),
    ("docker stop <nom_ou_id_du_conteneur>", "docker stop <id>"),
    ("docker stop <id>", "docker stop quirky_benz"),
    ("docker stop quirky_benz", "J'ai arrêté le conteneur avec docker stop quirky\\_benz."),
    ("docker ps", "docker ps -a"),
    ("docker ps", "docker ps --format '{{.Names}}'"),
    # curl: curl.exe, localhost = 127.0.0.1, trailing slash, scheme, extra flags
    ("curl http://localhost:8000/health", "curl http://localhost:8000/health"),
    ("curl http://localhost:8000/health", "curl.exe http://localhost:8000/health"),
    ("curl http://localhost:8000/health", "curl http://127.0.0.1:8000/health"),
    ("curl http://localhost:8000/health", "curl http://localhost:8000/health/"),
    ("curl http://localhost:8000/health", "curl localhost:8000/health"),
    ("curl http://localhost:8000/health", "curl -s -i http://localhost:8000/health"),
    ("curl http://localhost:8000/health", "curl -X GET http://localhost:8000/health"),
    ("curl http://localhost:8000/health", "curl \"http://localhost:8000/health\""),
    ("curl http://localhost:8000/health",
     "La commande curl http://localhost:8000/health a renvoyé la réponse JSON attendue."),
    ("curl http://localhost:8000/health",
     "```\nPS C:\\tp> curl.exe http://127.0.0.1:8000/health/\n{\"status\":\"ok\"}\n```"),
    ("curl -X POST http://localhost:8000/items", "curl --request POST http://localhost:8000/items"),
    ("curl -X POST http://localhost:8000/items", "curl -XPOST http://localhost:8000/items"),
    # psql alone
    ("psql -U demo -d demo", "psql --username demo --dbname demo"),
    ("psql -U demo -d demo", "```\nroot@db:/# psql -U demo demo\n```"),
]

CATCHES_NOT = [
    # a different value
    ("docker run -p 8000:8000 simple-api", "docker run -p 8080:8000 simple-api"),
    ("docker run -p 8000:8000 simple-api", "docker run -p 8000:8000 other-api"),
    ("docker run -p 8000:8000 simple-api", "docker run -p 8000:8000 simple-api:v2"),
    ("docker build -t simple-api .", "docker build -t api ."),
    ("docker build -t simple-api .", "docker build -t simple-api ./api"),
    ("docker compose exec db psql -U demo -d demo", "docker compose exec db psql -U tp1 -d tp1"),
    ("docker compose exec db psql -U demo -d demo", "docker compose exec api psql -U demo -d demo"),
    ("docker compose exec api sh", "docker compose exec api bash"),
    ("curl http://localhost:8000/health", "curl http://localhost:8000/"),
    ("curl http://localhost:8000/health", "curl http://localhost:8080/health"),
    ("curl http://localhost:8000/health", "curl https://localhost:8000/health"),
    ('docker run alpine echo "Bonjour depuis un conteneur Alpine"',
     'docker run alpine echo "Hello"'),
    # a missing flag or argument
    ("docker ps -a", "docker ps"),
    ("docker ps -a", "docker ps affiche les conteneurs actifs ; il faut -a pour tous"),
    ("docker ps -a", "L'option -a de docker ps montre tout"),
    ("docker compose down -v", "docker compose down"),
    ("docker compose up -d", "docker compose up"),
    ("docker run -it alpine sh", "docker run -i alpine sh"),
    ("docker run -it alpine sh", "docker run alpine sh"),
    ("docker run -p 8000:8000 simple-api", "docker run simple-api"),
    ("docker run -p 8000:8000 simple-api", "docker run -p 8000:8000"),
    ("docker compose logs -f api", "docker compose logs api"),
    ("docker compose exec db psql -U demo -d demo", "docker compose exec db psql"),
    ("docker compose exec db psql -U demo -d demo", "docker compose exec db"),
    # the same letter means another flag in another subcommand
    ("docker compose down -v", "docker compose down -t 5"),
    ("docker logs -f api", "docker build -f api ."),
    ("docker run -v data:/data alpine", "docker compose down -v"),
    # a different subcommand or program
    ("docker ps -a", "docker images -a"),
    ("docker ps", "docker compose ps"),
    ("docker compose ps", "docker ps"),
    ("docker compose up -d", "docker compose down"),
    ("docker build -t simple-api .", "docker compose build"),
    ("docker run hello-world", "docker pull hello-world"),
    ("docker container prune", "docker image prune"),
    ("docker image prune", "docker system prune"),
    ("curl http://localhost:8000/health", "wget http://localhost:8000/health"),
    # the program name inside other words is not a command
    ("docker ps", "Voir docker-compose.yml et le Dockerfile"),
    ("docker run hello-world", "![Sortie de docker run hello-world](captures/0.png)"),
    ("docker compose up -d", "docker-compose.yml: up -d"),
    ("docker ps", "mydocker ps"),
]


@pytest.mark.parametrize(("expected", "written"), CATCHES)
def test_catches(expected: str, written: str) -> None:
    judgement = judge(expected, written)
    assert judgement.fraction == 1.0, judgement.detail
    assert judgement.evidence and judgement.evidence[0].source == "answer"


@pytest.mark.parametrize(("expected", "written"), CATCHES_NOT)
def test_catches_not(expected: str, written: str) -> None:
    judgement = judge(expected, written)
    assert judgement.fraction == 0.0, judgement.evidence
    assert judgement.detail is not None
    assert f"commande attendue : {expected}" in judgement.detail


# --- evidence ------------------------------------------------------------------------------


def test_evidence_is_the_command_as_written_with_its_report_line() -> None:
    text = "Explication.\n\nLa commande docker run -p 8000:8000 simple-api lance le conteneur."
    judgement = judge("docker run -p 8000:8000 simple-api", text)
    assert judgement.fraction == 1.0
    (evidence,) = judgement.evidence
    assert evidence.text == "docker run -p 8000:8000 simple-api"
    assert evidence.source == "answer"
    assert evidence.line == FIRST + 2


def test_console_block_with_prompt_gives_the_command_line() -> None:
    text = ("Voici la sortie :\n```console\nPS C:\\Users\\x\\tp1> docker compose ps\n"
            "NAME        IMAGE     STATUS\ntp1-api-1   tp1-api   Up 3 minutes\n```")
    judgement = judge("docker compose ps", text)
    assert judgement.fraction == 1.0
    assert judgement.evidence[0].text == "docker compose ps"
    assert judgement.evidence[0].line == FIRST + 2


def test_evidence_is_short() -> None:
    long_command = "docker run " + " ".join(f"-e VAR{n}=value{n}" for n in range(30)) + " alpine"
    judgement = judge("docker run alpine", long_command)
    assert judgement.fraction == 1.0
    assert len(judgement.evidence[0].text) <= 120


def test_commands_in_a_dockerfile_block_do_not_count() -> None:
    text = "```dockerfile\nFROM python:3.11-slim\nRUN curl http://localhost:8000/health\n```"
    assert judge("curl http://localhost:8000/health", text, kind=CodeKind.DOCKERFILE
                 ).fraction == 0.0
    assert judge("curl http://localhost:8000/health", text, kind=CodeKind.SHELL).fraction == 1.0


# --- near misses ---------------------------------------------------------------------------


def test_near_miss_says_which_value_differs() -> None:
    judgement = judge("docker run -p 8000:8000 simple-api", "docker run -p 8080:8000 simple-api")
    assert judgement.fraction == 0.0
    assert judgement.detail is not None
    assert "-p 8080:8000 au lieu de -p 8000:8000" in judgement.detail
    assert f"(ligne {FIRST})" in judgement.detail


def test_near_miss_says_which_option_is_missing() -> None:
    judgement = judge("docker ps -a", "J'ai tapé docker ps pour voir.")
    assert judgement.detail is not None
    assert "option -a absente" in judgement.detail


def test_near_miss_on_the_inner_command() -> None:
    judgement = judge("docker compose exec db psql -U demo -d demo",
                      "docker compose exec db psql -U tp1 -d tp1")
    assert judgement.detail is not None
    assert "-U tp1 au lieu de -U demo" in judgement.detail
    assert "-d tp1 au lieu de -d demo" in judgement.detail


def test_near_miss_keeps_the_closest_command() -> None:
    text = "docker ps\n\ndocker ps -q"
    judgement = judge("docker ps -a -q", text)
    assert judgement.detail is not None
    assert f"ligne {FIRST + 2}" in judgement.detail
    assert "option -a absente" in judgement.detail


def test_miss_without_any_command_says_it_is_absent() -> None:
    judgement = judge("docker ps -a", "Je n'ai pas réussi.")
    assert judgement.fraction == 0.0
    assert judgement.detail == "commande attendue : docker ps -a ; absente de la réponse"


# --- statement copies, missing answers, anywhere -------------------------------------------


def test_a_command_copied_from_the_statement_does_not_count() -> None:
    text = "Utilisez la commande suivante :\ndocker run -p 8000:8000 simple-api\nC'est fait."
    copied = judge("docker run -p 8000:8000 simple-api", text, prompt=(FIRST, FIRST + 1))
    assert copied.fraction == 0.0
    typed = judge("docker run -p 8000:8000 simple-api", text, prompt=(FIRST,))
    assert typed.fraction == 1.0


def test_missing_answer() -> None:
    judgement = judge("docker ps -a", None)
    assert judgement.fraction == 0.0
    assert judgement.detail == "réponse absente"


def test_anywhere_finds_the_command_elsewhere_and_says_where() -> None:
    elsewhere = "Question 5.a\n```\n$ docker compose up -d\n```"
    assert judge("docker compose up -d", "Rien ici.", elsewhere=elsewhere).fraction == 0.0
    judgement = judge("docker compose up -d", "Rien ici.", elsewhere=elsewhere, anywhere=True)
    assert judgement.fraction == 1.0
    (evidence,) = judgement.evidence
    assert evidence.source == "report"
    assert evidence.line == FIRST + 1 + 2
    assert judgement.detail == f"trouvée ailleurs dans le rapport (ligne {FIRST + 3})"


def test_anywhere_prefers_the_answer() -> None:
    judgement = judge("docker compose up -d", "docker compose up -d",
                      elsewhere="docker compose up -d", anywhere=True)
    assert judgement.evidence[0].source == "answer"
    assert judgement.detail is None


def test_anywhere_with_a_missing_answer() -> None:
    judgement = judge("docker ps -a", None, elsewhere="docker ps -a", anywhere=True)
    assert judgement.fraction == 1.0
    assert judgement.evidence[0].source == "report"
    missed = judge("docker ps -a", None, elsewhere="docker images", anywhere=True)
    assert missed.fraction == 0.0
    assert missed.detail is not None and missed.detail.startswith("réponse absente")


def test_anywhere_ignores_statement_copies_in_other_answers() -> None:
    elsewhere = "Lancez :\ndocker compose up -d"
    start = FIRST + 1
    judgement = judge("docker compose up -d", "Rien ici.", elsewhere=elsewhere, anywhere=True,
                      other_prompt=(start, start + 1))
    assert judgement.fraction == 0.0
    assert judgement.detail is not None
    assert "absente de la réponse et du rapport" in judgement.detail


# --- partial credit ------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "fraction"), [
    ("docker compose exec db psql -U demo -d demo", 1.0),
    ("docker compose exec db psql -U demo", 0.75),
    ("docker compose exec db psql", 0.5),
    ("docker compose exec db psql -U tp1 -d tp1", 0.5),
    ("docker compose exec db", 0.25),
    ("docker compose exec db bash", 0.25),
    ("docker compose up -d", 0.0),
    ("rien", 0.0),
])
def test_partial_gives_the_share_of_expected_arguments(written: str, fraction: float) -> None:
    judgement = judge("docker compose exec db psql -U demo -d demo", written, partial=True)
    assert judgement.fraction == pytest.approx(fraction)
    if 0 < fraction < 1:
        assert judgement.evidence and judgement.evidence[0].text == written


def test_without_partial_a_near_miss_earns_nothing() -> None:
    judgement = judge("docker compose exec db psql -U demo -d demo",
                      "docker compose exec db psql -U demo")
    assert judgement.fraction == 0.0
    assert judgement.evidence == ()


def test_partial_counts_flags_and_positionals() -> None:
    assert judge("docker run -p 8000:8000 simple-api", "docker run simple-api",
                 partial=True).fraction == pytest.approx(0.5)
    assert judge("docker ps -a", "docker ps", partial=True).fraction == 0.0


# --- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "message"), [
    ("", "empty"),
    ("   ", "empty"),
    ('docker run alpine echo "Bonjour', "unclosed quote"),
    ("docker compose up -d && docker compose ps", "one command per criterion"),
    ("docker ps | grep api", "one command per criterion"),
    ("docker", "names no subcommand"),
    ("docker compose", "names no subcommand"),
    ("-a docker ps", "does not start with a program name"),
])
def test_unusable_commands_are_rubric_errors(command: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Command.parse({"command": command})


def test_the_lab_commands_are_valid() -> None:
    for command in ("docker run hello-world", "docker ps -a", "docker run -it alpine sh",
                    'docker run alpine echo "Bonjour depuis un conteneur Alpine"',
                    "docker stop <nom_ou_id_du_conteneur>", "docker compose up -d --build",
                    "docker compose exec db psql -U demo -d demo", "docker container prune",
                    "curl http://localhost:8000/health", "uname -a", "python --version",
                    "SELECT version();"):
        assert CommandParams(command=command).command == command


def test_unknown_parameters_are_rubric_errors() -> None:
    with pytest.raises(ValidationError):
        Command.parse({"command": "docker ps", "partiel": True})


def test_params_defaults() -> None:
    params = CommandParams.model_validate({"command": "docker ps -a"})
    assert (params.partial, params.anywhere) == (False, False)


def test_expected_commands_are_cached() -> None:
    assert parse_expected("docker ps -a") is parse_expected("docker ps -a")


def test_psql_positionals_fill_dbname_then_username() -> None:
    options = {o.key: o.value for o in parse_expected("psql demo alice").options}
    assert options == {"psql --dbname": "demo", "psql --username": "alice"}


def test_kind_is_documented() -> None:
    assert (Command.kind, Command.code) == ("command", "C201")
    doc = Command.__doc__ or ""
    for part in ("What it does:", "Why:", "Example::", "kind: command"):
        assert part in doc
    assert Command.summary and "\n" not in Command.summary
