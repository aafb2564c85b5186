"""Student submissions for the sandbox tests, written into a temporary folder.

Each is a TP1 layout (``api/app.py``, ``api/Dockerfile``, ``docker-compose.yml``)
plus a short report; variants break one thing (``appi``, a build that never
ends, a memory hog, a fork bomb, a compose file asking for the host).
"""

from __future__ import annotations

from pathlib import Path

APP = '''from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health():
    return {"status": "ok"}
'''

APPI = APP.replace("app = FastAPI()", "appi = FastAPI()").replace("@app.get", "@appi.get")

DOCKERFILE = '''FROM python:3.11-slim
WORKDIR /app
COPY app.py /app/
RUN pip install fastapi uvicorn
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]
'''

COMPOSE = '''version: "3.9"

services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: demo
      POSTGRES_PASSWORD: demo
      POSTGRES_DB: demo
    ports:
      - "5432:5432"

  api:
    build: ./api
    ports:
      - "8000:8000"
    depends_on:
      - db
'''

PRIVILEGED_COMPOSE = COMPOSE.replace('''    build: ./api
''', '''    build: ./api
    privileged: true
    volumes:
      - /:/host
''')


def report(app: str = APP, dockerfile: str = DOCKERFILE, compose: str = COMPOSE) -> str:
    """A short TP1 report whose code blocks hold the given files."""
    return f"""# Rapport TP1

## Question 3.a

Voici mon fichier app.py :

```python
{app}```

## Question 3.b

```dockerfile
{dockerfile}```

## Question 3.c

docker build -t simple-api . : la construction a réussi.

## Question 5.b

```yaml
{compose}```
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder


def submission(root: Path, name: str, *, app: str = APP, dockerfile: str = DOCKERFILE,
               compose: str | None = COMPOSE, with_files: bool = True) -> Path:
    """A submission folder; without files, only the report (the code is in it)."""
    files = {"rapport_tp1.md": report(app, dockerfile, compose or "")}
    if with_files:
        files.update({"api/app.py": app, "api/Dockerfile": dockerfile})
        if compose is not None:
            files["docker-compose.yml"] = compose
    return write(root / name, files)
