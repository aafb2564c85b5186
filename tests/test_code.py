"""Cases for recognising code in reports: each kind has inputs it must catch and near
misses it must not (hadolint's ``ruleCatches`` / ``ruleCatchesNot`` style)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from support import COMPOSE

from grader.models import CodeKind
from grader.parse.code import (
    CodeRun,
    classify_code,
    find_code_runs,
    rebuild_compose,
    strip_prompt,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY app.py /app/
RUN pip install fastapi uvicorn
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]
"""

SEED_COMPOSE = {
    "version": "3.9",
    "services": {
        "db": {
            "image": "postgres:16",
            "environment": {"POSTGRES_USER": "demo", "POSTGRES_PASSWORD": "demo",
                            "POSTGRES_DB": "demo"},
            "ports": ["5432:5432"],
        },
        "api": {"build": "./api", "ports": ["8000:8000"], "depends_on": ["db"]},
    },
}

# Seed 002: a Word export, every line at column 0 with a blank line after it.
FLAT_COMPOSE = """\
version: "3.9"

services:

db:

image: postgres:16

environment:

# Définir l'utilisateur, le mot de passe et le nom de la base

POSTGRES_USER: demo

POSTGRES_PASSWORD: demo

POSTGRES_DB: demo

ports:

# Exposer le port PostgreSQL vers l'hôte

- "5432:5432"

api:

# Construire l'image à partir du Dockerfile dans ./api

build: ./api

ports:

# Exposer le port 8000 du conteneur vers l'hôte

- "8000:8000"

depends_on:

# Indiquer que l'API dépend de la base de données

- db
"""

FLAT_APP = """\
# app.py

# TODO: importer FastAPI

from fastapi import FastAPI

# TODO: créer une instance FastAPI

app = FastAPI()

# TODO: définir une route GET /health

@app.get("/health")

def health():

return {"status": "ok"}
"""

SEED_002_EXCERPT = (
    "Question 3.a\u00a0:\n\n" + FLAT_APP + "\nQuestion 3.c:\n\n![alt text](images/image6.png)\n\n"
    "Exercice 5\u00a0: Démarrer un mini-système multi-conteneurs avec Docker Compose\n\n"
    "Docker-compose.yml\u00a0:\n\n" + FLAT_COMPOSE + "\nQuestion 5.c\u00a0:\n\n"
    "![alt text](images/image14.png)\n"
)

# s01: CRLF, ``# TODO`` turned into plain ``TODO:`` lines, a comment that lost its ``#``.
S01_EXCERPT = (
    "Question 3.a. Complétez le code afin que l’API expose une route /health.\r\n"
    "\r\n"
    "app.py\r\n"
    "TODO: importer FastAPI\r\n"
    "from fastapi import FastAPI\r\n"
    "\r\n"
    "TODO: créer une instance FastAPI\r\n"
    "app = FastAPI()\r\n"
    "\r\n"
    "TODO: définir une route GET /health\r\n"
    '@app.get("/health")\r\n'
    "def health(): \r\n"
    '    return {"status": "ok"}\r\n'
    "\r\n"
    "Étape 2 — Compléter le Dockerfile\r\n"
    "\r\n"
    "Question 3.b. Complétez les lignes marquées # TODO.\r\n"
    "Dockerfile\r\n"
    "\r\n"
    "TODO: choisir une image de base Python\r\n"
    "FROM python:3.9-slim\r\n"
    "\r\n"
    "TODO: définir le répertoire de travail dans le conteneur\r\n"
    "WORKDIR /app\r\n"
    "\r\n"
    "TODO: copier le fichier app.py\r\n"
    "COPY app.py .\r\n"
    "\r\n"
    "Installer FastAPI et Uvicorn\r\n"
    "RUN pip install fastapi uvicorn\r\n"
    "\r\n"
    "TODO: lancer le serveur au démarrage du conteneur\r\n"
    'CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]\r\n'
    "\r\n"
    "Étape 3 — Construire l'image Docker\r\n"
    "\r\n"
    "Question 5.b. Complétez le fichier docker-compose.yml ci-dessous.\r\n"
    "\r\n"
    + COMPOSE.replace("\n", "\r\n")
    + "\r\n"
    "Étape 3 — Démarrer la stack avec Docker Compose\r\n"
)

# Seed 001: a title line, then unfenced code with trailing double spaces (written as "$").
SEED_001_EXCERPT = """\
##### Etape 1:$

Fichier app.py:$
from fastapi import FastAPI

app = FastAPI()

@app.get("/health")$
def health():$
    return {"status": "ok"}$

##### Etape 2: Dockerfile$
FROM python:3.11-slim$
WORKDIR /app$
COPY app.py /app/$
RUN pip install fastapi uvicorn$
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]$

##### Etape 3 : Construire l'image$

docker build -t simple-api .

![alt text](image-5.png)$
""".replace("$\n", "  \n")

CONSOLE_BUILD = """\
(.venv) (base) aramsis@MacBook-Air-de-Adam CSC8613-TP1 % docker build -t simple-api .
[+] Building 46.3s (9/9) FINISHED
=> [internal] load build definition from Dockerfile
=> [1/4] FROM docker.io/library/python:3.9@sha256:da5aee29682d
=> [2/4] WORKDIR /app
=> [3/4] COPY app.py .
=> [4/4] RUN pip install fastapi uvicorn
=> => naming to docker.io/library/simple-api:latest
"""

PSQL_SESSION = """\
tp1=# SELECT version();
                          version
--------------------------------------------------------------
 PostgreSQL 16.11 (Debian 16.11-1.pgdg13+1) on aarch64-unknown-linux-gnu
(1 row)

tp1=# SELECT current_database();
 current_database
------------------
 tp1
(1 row)
"""


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def run_text(lines: list[str], run: CodeRun) -> str:
    return "\n".join(lines[run.start:run.end + 1])


# --- classify_code: must catch -------------------------------------------------------------

CATCHES = [
    pytest.param(DOCKERFILE, "bash", CodeKind.DOCKERFILE, id="dockerfile-labelled-bash"),
    pytest.param("FROM python:3.11-slim", None, CodeKind.DOCKERFILE, id="dockerfile-lone-from"),
    pytest.param("# Dockerfile\n\n# base\nFROM python:3.10-slim\n\nWORKDIR /app\n", "exec",
                 CodeKind.DOCKERFILE, id="dockerfile-with-comments"),
    pytest.param(COMPOSE, "yml", CodeKind.COMPOSE, id="compose-indented"),
    pytest.param(FLAT_COMPOSE, None, CodeKind.COMPOSE, id="compose-flattened"),
    pytest.param('services:\n  db:\n    image: "postgres:16\n    ports:\n      - 5432:5432\n',
                 None, CodeKind.COMPOSE, id="compose-with-a-yaml-error"),
    pytest.param('from fastapi import FastAPI\n\napp = FastAPI()\n\n@app.get("/health")\n'
                 'def health():\n    return {"status": "ok"}\n', "bash", CodeKind.PYTHON,
                 id="python-fastapi"),
    pytest.param(FLAT_APP, None, CodeKind.PYTHON, id="python-flattened-return-at-col-0"),
    pytest.param("docker ps -a", None, CodeKind.SHELL, id="shell-lone-command"),
    pytest.param("$ docker build -t simple-api .\n$ docker run -p 8000:8000 simple-api",
                 "console", CodeKind.SHELL, id="shell-prompted-commands"),
    pytest.param("docker compose exec \\\n  -e SEED_DIR=/data/seeds/month_000 \\\n"
                 "  prefect python ingest_flow.py", "bash", CodeKind.SHELL,
                 id="shell-continued-lines"),
    pytest.param('docker run alpine echo "Bonjour depuis un conteneur Alpine"', None,
                 CodeKind.SHELL, id="shell-french-in-quotes"),
    pytest.param("PS C:\\Users\\x\\tp1> docker compose up -d", None, CodeKind.SHELL,
                 id="shell-powershell-prompt"),
    pytest.param(CONSOLE_BUILD, "terminaloutput", CodeKind.CONSOLE, id="console-build-log"),
    pytest.param("Unable to find image 'alpine:latest' locally\nlatest: Pulling from "
                 "library/alpine\nStatus: Downloaded newer image for alpine:latest\n"
                 "Bonjour depuis un conteneur Alpine", None, CodeKind.CONSOLE,
                 id="console-pull-output"),
    pytest.param("INFO:     Started server process [1]\nINFO:     Uvicorn running on "
                 "http://0.0.0.0:8000 (Press CTRL+C to quit)", "bash", CodeKind.CONSOLE,
                 id="console-uvicorn-log"),
    pytest.param('curl http://localhost:8000/health\n{"status":"ok"}', "bash",
                 CodeKind.CONSOLE, id="console-command-then-output"),
    pytest.param("CONTAINER ID   IMAGE        COMMAND                  CREATED\n"
                 'c4a37f856bf3   simple-api   "uvicorn app:app --h…"   2 minutes ago', None,
                 CodeKind.CONSOLE, id="console-ps-table"),
    pytest.param(PSQL_SESSION, "terminaloutput", CodeKind.CONSOLE, id="console-psql"),
    pytest.param("# ls\n__pycache__  app.py\n# python --version\nPython 3.9.25\n# exit", None,
                 CodeKind.CONSOLE, id="console-root-prompt-in-container"),
    pytest.param("SELECT version();\nSELECT current_database();", None, CodeKind.SQL,
                 id="sql-statements"),
    pytest.param("CREATE TABLE IF NOT EXISTS users (\n  user_id TEXT PRIMARY KEY,\n"
                 "  plan TEXT\n);", "sql", CodeKind.SQL, id="sql-multiline-create"),
    pytest.param("global:\n  scrape_interval: 15s\n\nscrape_configs:\n"
                 "  - job_name: 'iris-api'\n    static_configs:\n"
                 "      - targets: ['api:8000']\n", "yaml", CodeKind.YAML, id="yaml-prometheus"),
    pytest.param('{\n  "sepal_length": 5.1,\n  "sepal_width": 3.5\n}', None, CodeKind.JSON,
                 id="json-document"),
    pytest.param("iris-ai-service/\n├── api/\n│   ├── Dockerfile\n│   └── app/\n"
                 "└── docker-compose.yml", None, CodeKind.TREE, id="tree-drawn"),
    pytest.param("api/\n  app.py\n  Dockerfile\ndocker-compose.yml", None, CodeKind.TREE,
                 id="tree-indented-listing"),
    pytest.param("", "python", CodeKind.TEXT, id="text-empty"),
    pytest.param("Le conteneur s'arrête dès que son processus principal se termine.\n"
                 "C'est pourquoi il apparaît avec le statut Exited.", None, CodeKind.TEXT,
                 id="text-french-paragraph"),
]


@pytest.mark.parametrize(("text", "info", "kind"), CATCHES)
def test_classify_catches(text: str, info: str | None, kind: CodeKind) -> None:
    assert classify_code(text, info) is kind


# --- classify_code: near misses that must not be caught ------------------------------------

CATCHES_NOT = [
    pytest.param(CONSOLE_BUILD, "dockerfile", CodeKind.DOCKERFILE,
                 id="build-log-with-FROM-is-not-a-dockerfile"),
    pytest.param("Step 1/4 : FROM python:3.11-slim\n ---> 1a2b3c4d5e6f\nStep 2/4 : WORKDIR /app",
                 None, CodeKind.DOCKERFILE, id="legacy-build-log-is-not-a-dockerfile"),
    pytest.param("RUN pip install fastapi", None, CodeKind.DOCKERFILE,
                 id="lone-run-is-not-a-dockerfile"),
    pytest.param("global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: api\n",
                 "yaml", CodeKind.COMPOSE, id="prometheus-yaml-is-not-compose"),
    pytest.param("services:\n  - api\n  - db\n", "yaml", CodeKind.COMPOSE,
                 id="services-list-is-not-compose"),
    pytest.param("image: postgres:16\nrestart: always\n", "python", CodeKind.PYTHON,
                 id="yaml-that-ast-parses-is-not-python"),
    pytest.param("python app.py\npip install fastapi", None, CodeKind.PYTHON,
                 id="python-commands-are-not-python"),
    pytest.param("docker ps\nCONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS",
                 "bash", CodeKind.SHELL, id="command-with-output-is-not-shell"),
    pytest.param("La commande docker ps -a affiche tous les conteneurs, y compris ceux arrêtés.",
                 None, CodeKind.SHELL, id="sentence-about-a-command-is-not-shell"),
    pytest.param("docker ps : Liste uniquement les conteneurs en cours d'exécution.", None,
                 CodeKind.SHELL, id="command-followed-by-explanation-is-not-shell"),
    pytest.param("docker build -t simple-api .\ndocker run -p 8000:8000 simple-api", None,
                 CodeKind.CONSOLE, id="commands-only-are-not-console"),
    pytest.param(PSQL_SESSION, "sql", CodeKind.SQL, id="psql-session-is-not-sql"),
    pytest.param("La commande SELECT version(); retourne PostgreSQL 16.11 .", None,
                 CodeKind.SQL, id="sentence-about-sql-is-not-sql"),
    pytest.param(COMPOSE, "yaml", CodeKind.YAML, id="compose-is-not-plain-yaml"),
    pytest.param("Nom du conteneur : pensive_blackburn\nImage utilisée : simple-api\n"
                 "Port mappé : 0.0.0.0:8000->8000/tcp", None, CodeKind.YAML,
                 id="french-label-value-lines-are-not-yaml"),
    pytest.param('{"status": "ok",}', None, CodeKind.JSON, id="broken-json-is-not-json"),
    pytest.param("{'status': 'ok'}", None, CodeKind.JSON, id="python-dict-is-not-json"),
    pytest.param("api/Dockerfile\nfrontend/Dockerfile\ndocker-compose.yml", None, CodeKind.TREE,
                 id="flat-path-list-is-not-a-tree"),
    pytest.param(DOCKERFILE, None, CodeKind.TEXT, id="dockerfile-is-not-text"),
]


@pytest.mark.parametrize(("text", "info", "kind"), CATCHES_NOT)
def test_classify_catches_not(text: str, info: str | None, kind: CodeKind) -> None:
    assert classify_code(text, info) is not kind


def test_fence_label_breaks_ties_only() -> None:
    # Nothing recognisable: the label decides between console output and text.
    assert classify_code("some output\nmore output", "terminaloutput") is CodeKind.CONSOLE
    assert classify_code("some output\nmore output", None) is CodeKind.TEXT
    # A JSON answer is a document, unless the fence says it was printed in a terminal.
    assert classify_code('{"status":"ok"}') is CodeKind.JSON
    assert classify_code('{"status":"ok"}', "terminaloutput") is CodeKind.CONSOLE
    # Content beats a wrong label.
    assert classify_code(DOCKERFILE, "python") is CodeKind.DOCKERFILE


# --- find_code_runs ------------------------------------------------------------------------


def test_seed_002_flattened_app_and_compose() -> None:
    lines = lines_of(SEED_002_EXCERPT)
    runs = find_code_runs(lines)
    assert [run.kind for run in runs] == [CodeKind.PYTHON, CodeKind.COMPOSE]
    app, compose = runs
    assert lines[app.start] == "from fastapi import FastAPI"
    assert lines[app.end] == 'return {"status": "ok"}'
    assert lines[compose.start] == 'version: "3.9"'
    assert lines[compose.end] == "- db"
    repaired = rebuild_compose(run_text(lines, compose))
    assert repaired is not None
    assert yaml.safe_load(repaired) == SEED_COMPOSE


def test_s01_unfenced_code_with_todo_lines() -> None:
    lines = S01_EXCERPT.split("\n")  # CRLF kept: the \r must not matter
    runs = find_code_runs(lines)
    assert [run.kind for run in runs] == [CodeKind.PYTHON, CodeKind.DOCKERFILE, CodeKind.COMPOSE]
    app, dockerfile, compose = runs
    assert lines[app.start].startswith("from fastapi import")
    assert "TODO: créer une instance FastAPI\r" in lines[app.start:app.end + 1]
    assert lines[app.end].strip() == 'return {"status": "ok"}'
    assert lines[dockerfile.start].startswith("FROM python:3.9-slim")
    assert "Installer FastAPI et Uvicorn\r" in lines[dockerfile.start:dockerfile.end + 1]
    assert lines[dockerfile.end].startswith("CMD [")
    assert lines[compose.start].startswith("version:")
    assert lines[compose.end].strip() == "- db"


def test_seed_001_code_with_trailing_spaces() -> None:
    lines = lines_of(SEED_001_EXCERPT)
    assert lines[3] == "from fastapi import FastAPI" and lines[7].endswith(")  ")
    runs = find_code_runs(lines)
    assert [run.kind for run in runs] == [CodeKind.PYTHON, CodeKind.DOCKERFILE, CodeKind.SHELL]
    app, dockerfile, build = runs
    assert lines[app.start] == "from fastapi import FastAPI"
    assert lines[app.end].strip() == 'return {"status": "ok"}'
    assert (dockerfile.end - dockerfile.start) == 4
    assert lines[build.start] == lines[build.end] == "docker build -t simple-api ."


@pytest.mark.parametrize("line", [
    "docker ps -a",
    'docker run alpine echo "Bonjour depuis un conteneur Alpine"',
    "docker-compose up -d",
    "curl http://localhost:8000/health",
    "> *docker compose exec db psql -U demo -d demo*",
    "kilia@LEGION-Kilian:~/tpdocker$ git status",
])
def test_single_command_line_is_a_shell_run(line: str) -> None:
    lines = ["La commande :", "", line, "", "![alt text](image-1.png)"]
    assert find_code_runs(lines) == [CodeRun(2, 2, CodeKind.SHELL)]


@pytest.mark.parametrize("text", [
    pytest.param("Pour lancer la stack, on utilise `docker compose up` puis on vérifie avec\n"
                 "docker compose ps que les deux services tournent bien.\n"
                 "La commande docker ps -a affiche tous les conteneurs", id="prose-paragraph"),
    pytest.param("- `exec` : exécute une commande dans un conteneur en cours d'exécution.\n"
                 "- `db` : le nom du service défini dans docker-compose.yml.\n"
                 "- `-U demo` : l'utilisateur PostgreSQL.", id="bullet-list"),
    pytest.param("Question 2.a :\n\nQuestion 2.b :", id="question-labels"),
    pytest.param("docker ps : Liste uniquement les conteneurs actifs.\n\n"
                 "docker ps -a : Liste tous les conteneurs.", id="command-colon-explanation"),
    pytest.param("docker ps montre que le conteneur est en cours d’exécution.\n"
                 "ls affiche la liste des fichiers.\nexit permet de quitter le shell.",
                 id="sentences-starting-with-commands"),
    pytest.param("Nom du conteneur : pensive_blackburn\n\nImage utilisée : simple-api\n\n"
                 "Port mappé : 0.0.0.0:8000->8000/tcp", id="label-value-lines"),
    pytest.param("## Exercice 3\n\n![app](app.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---",
                 id="markdown-structure"),
    pytest.param("- Git\n- Docker\n- Python", id="one-word-bullets"),
])
def test_prose_is_not_code(text: str) -> None:
    assert find_code_runs(lines_of(text)) == []


def test_skip_lines_are_never_in_a_run_and_split_runs() -> None:
    lines = ["FROM python:3.11", "WORKDIR /app", "```", "RUN pip install x", "CMD [\"x\"]"]
    runs = find_code_runs(lines, skip={2})
    assert runs == [CodeRun(0, 1, CodeKind.DOCKERFILE), CodeRun(3, 4, CodeKind.DOCKERFILE)]
    assert find_code_runs(lines, skip=range(5)) == []


@pytest.mark.parametrize("label", ["Q2.c: Mettre à jour docker-compose.yml",
                                   "question2c: le fichier compose", "2.c: compose"])
def test_question_label_is_not_a_yaml_key(label: str) -> None:
    """A label line in ``key: value`` shape above an unfenced compose file stays out of
    the code, so that it still opens its answer."""
    lines = [label, "", "services:", "  postgres:", "    image: postgres:16"]
    assert find_code_runs(lines) == [CodeRun(2, 4, CodeKind.COMPOSE)]


def test_comments_at_run_edges_stay_out() -> None:
    lines = ["# app.py", "", "import os", "x = os.getcwd()", "", "# fin"]
    assert find_code_runs(lines) == [CodeRun(2, 3, CodeKind.PYTHON)]


def test_code_of_two_kinds_back_to_back_is_split() -> None:
    lines = ["from fastapi import FastAPI", "app = FastAPI()", "", "FROM python:3.11-slim",
             "WORKDIR /app", "", "docker build -t api ."]
    assert find_code_runs(lines) == [
        CodeRun(0, 1, CodeKind.PYTHON),
        CodeRun(3, 4, CodeKind.DOCKERFILE),
        CodeRun(6, 6, CodeKind.SHELL),
    ]


def test_console_pasted_without_fence() -> None:
    lines = ["(base) hanna@MacBook-Air TP1 % ls data/seeds/month_000",
             "labels.csv\t\tsubscriptions.csv\tusage_agg_30d.csv",
             "payments_agg_90d.csv\tsupport_agg_90d.csv\tusers.csv", "", "Puis :"]
    assert find_code_runs(lines) == [CodeRun(0, 2, CodeKind.CONSOLE)]


def test_too_many_blank_lines_end_a_run() -> None:
    lines = ["FROM python:3.11", "WORKDIR /app", "", "", "", "", "RUN pip install x",
             "CMD [\"x\"]"]
    assert find_code_runs(lines) == [CodeRun(0, 1, CodeKind.DOCKERFILE),
                                     CodeRun(6, 7, CodeKind.DOCKERFILE)]


# --- rebuild_compose -----------------------------------------------------------------------


def test_rebuild_flattened_compose() -> None:
    repaired = rebuild_compose(FLAT_COMPOSE)
    assert repaired is not None
    assert yaml.safe_load(repaired) == SEED_COMPOSE


def test_rebuild_leaves_valid_compose_alone() -> None:
    assert rebuild_compose(COMPOSE) is None


@pytest.mark.parametrize("text", [
    "",
    "hello world\nthis is: not compose\n",
    "services:\n- api\n- db\n",
    "services: [api, db]\n",
    "global:\nscrape_interval: 15s\n",
    "version: 3\nservices:\ndb:\n\"unterminated\n",
])
def test_rebuild_refuses_garbage(text: str) -> None:
    assert rebuild_compose(text) is None


def test_rebuild_list_environment_and_partial_indentation() -> None:
    text = """\
version: "3.9"
services:
db:
  image: postgres:16
  environment:
  - POSTGRES_USER=demo
  - POSTGRES_PASSWORD=demo
  volumes:
  - pgdata:/var/lib/postgresql/data
  healthcheck:
  test: ["CMD-SHELL", "pg_isready -U demo"]
  interval: 5s
api:
  build:
  context: ./api
  dockerfile: Dockerfile
  depends_on:
  db:
  condition: service_healthy
  networks:
  - backend
volumes:
pgdata:
networks:
backend:
driver: bridge
"""
    repaired = rebuild_compose(text)
    assert repaired is not None
    assert yaml.safe_load(repaired) == {
        "version": "3.9",
        "services": {
            "db": {
                "image": "postgres:16",
                "environment": ["POSTGRES_USER=demo", "POSTGRES_PASSWORD=demo"],
                "volumes": ["pgdata:/var/lib/postgresql/data"],
                "healthcheck": {"test": ["CMD-SHELL", "pg_isready -U demo"], "interval": "5s"},
            },
            "api": {
                "build": {"context": "./api", "dockerfile": "Dockerfile"},
                "depends_on": {"db": {"condition": "service_healthy"}},
                "networks": ["backend"],
            },
        },
        "volumes": {"pgdata": None},
        "networks": {"backend": {"driver": "bridge"}},
    }


def test_rebuild_nested_deploy_limits() -> None:
    text = ("services:\napi:\nimage: x\ndeploy:\nresources:\nlimits:\ncpus: \"0.5\"\n"
            "memory: 512M\nrestart_policy:\ncondition: on-failure\nports:\n- \"80:80\"\n")
    repaired = rebuild_compose(text)
    assert repaired is not None
    assert yaml.safe_load(repaired)["services"]["api"] == {
        "image": "x",
        "deploy": {"resources": {"limits": {"cpus": "0.5", "memory": "512M"}},
                   "restart_policy": {"condition": "on-failure"}},
        "ports": ["80:80"],
    }


# --- strip_prompt --------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "command"), [
    ("$ docker ps", "docker ps"),
    ("% docker build -t simple-api .", "docker build -t simple-api ."),
    ("# ls", "ls"),
    ("# python --version", "python --version"),
    ("PS C:\\Users\\bob\\tp1> docker compose up -d", "docker compose up -d"),
    ("C:\\Users\\LENOVO\\Desktop\\TP1-Docker\\simple-api>docker build -t simple-api .",
     "docker build -t simple-api ."),
    ("user@host:~/dir$ docker ps", "docker ps"),
    ("root@c4a37f856bf3:/app# ls", "ls"),
    ("(.venv) (base) aramsis@MacBook-Air-de-Adam CSC8613-TP1 % docker build -t simple-api .",
     "docker build -t simple-api ."),
    ("MacBook-Air:tp1 bob$ docker ps", "docker ps"),
    ("/app # ls", "ls"),
    ("tp1=# SELECT version();", "SELECT version();"),
])
def test_strip_prompt(line: str, command: str) -> None:
    assert strip_prompt(line) == command


@pytest.mark.parametrize("line", [
    "docker ps", "# TODO: importer FastAPI", "# app.py", "Le prix est de 5 $ environ",
    "$HOME/bin", "version: \"3.9\"",
])
def test_strip_prompt_leaves_other_lines(line: str) -> None:
    assert strip_prompt(line) == line


# --- robustness ---------------------------------------------------------------------------

_PIECES = st.sampled_from([
    "", "  ", "# TODO: x", "TODO: y", "docker ps -a", "$ docker ps", "FROM python:3.11",
    "RUN pip install x", "services:", "db:", "image: postgres:16", "- \"5432:5432\"",
    "environment:", "POSTGRES_USER: demo", "from fastapi import FastAPI", "def health():",
    "return {\"status\": \"ok\"}", "CONTAINER ID   IMAGE   NAMES", "Le conteneur démarre.",
    "- `exec` : exécute", "```", "> *docker ps*", "├── api/", "SELECT 1;", "{", "}", "---",
    "tp1=#", "\\", "é", "\t", ":",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=30)), max_size=40), st.sets(st.integers(0, 40)))
def test_never_raises_and_runs_are_well_formed(lines: list[str], skip: set[int]) -> None:
    text = "\n".join(lines)
    assert isinstance(classify_code(text), CodeKind)
    repaired = rebuild_compose(text)
    assert repaired is None or isinstance(yaml.safe_load(repaired)["services"], dict)
    previous_end = -1
    for run in find_code_runs(lines, skip):
        assert previous_end < run.start <= run.end < len(lines)
        assert not skip & set(range(run.start, run.end + 1))
        assert lines[run.start].strip() and lines[run.end].strip()
        previous_end = run.end
    for line in lines:
        assert strip_prompt(line) in line


# --- real seed (optional) ------------------------------------------------------------------


def test_real_seed_002() -> None:
    path = SHARED / "seeds" / "002_561e59178b1a90ab.txt"
    if not path.is_file():
        pytest.skip(f"{path} is not in this clone (shared corpus lives outside the repo)")
    lines = path.read_text(encoding="utf-8").split("\n")
    runs = find_code_runs(lines)
    kinds = {run.kind for run in runs}
    assert {CodeKind.PYTHON, CodeKind.COMPOSE} <= kinds
    compose = next(run for run in runs if run.kind is CodeKind.COMPOSE)
    repaired = rebuild_compose(run_text(lines, compose))
    assert repaired is not None
    assert yaml.safe_load(repaired) == SEED_COMPOSE
