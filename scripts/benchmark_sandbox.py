#!/usr/bin/env python3
"""Time ``--sandbox`` grading of 10 submissions against the same work done by hand.

Makes 10 correct TP1 submissions (``api/app.py``, ``api/Dockerfile`` and, for the
stack figures, ``docker-compose.yml``) in a temporary folder, then measures:

1. *image*: ``grade_submission(..., sandbox=runner)`` (parse, build, run, probe
   ``/health``, score) for the 10 submissions without a compose file, against a
   shell loop doing ``docker build --no-cache`` + ``docker run -p 127.0.0.1::8000``
   + ``curl /health`` polling + ``docker rm``/``rmi`` (the legacy builder, as the SDK);
2. *stack*: the same with the compose file, against a shell loop adding
   ``docker compose up -d`` + ``curl`` + ``docker compose exec db psql`` + ``down -v``;
3. the stack case again with ``jobs=2`` (``--sandbox-jobs 2``).

The ratio tool/shell is the tool's overhead (limits, labels, policy, log
collection, cleanup, sweeps). Needs an engine and the base images
(``grader images prepare``).

Usage::

    python scripts/benchmark_sandbox.py [-n 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "sandbox"))

import sandbox_fixtures as F  # noqa: E402

from grader.pipeline import grade_submission  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402
from grader.sandbox import SandboxRunner  # noqa: E402
from grader.sandbox.engine import SandboxLimits  # noqa: E402

_IMAGE_STEPS = r"""
  tag="bench-$(basename "$d")"
  docker build --no-cache -q -t "$tag" "$d/api" >/dev/null
  cid=$(docker run -d -p 127.0.0.1::8000 "$tag")
  port=$(docker port "$cid" 8000/tcp | head -n 1 | sed 's/.*://')
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.3; done
  docker rm -f "$cid" >/dev/null
"""


def _loop(then: str) -> str:
    """The hand-written loop over the students: build, run and probe each one's image,
    remove its container, ``then`` the rest."""
    return '\nset -e\nfor d in "$@"; do' + _IMAGE_STEPS + then.lstrip("\n") + "done\n"


SHELL_IMAGE = _loop(r"""
  docker rmi "$tag" >/dev/null
""")

SHELL_STACK = _loop(r"""
  sed -e 's/"8000:8000"/"127.0.0.1::8000"/' -e 's/"5432:5432"/"127.0.0.1::5432"/' \
      "$d/docker-compose.yml" > "$d/bench-compose.yml"
  c="docker compose -p $tag -f $d/bench-compose.yml"
  $c up -d --build >/dev/null 2>&1
  port=$($c port api 8000 | sed 's/.*://')
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.3; done
  until $c exec -T db psql -U demo -d demo -tAc 'select current_database()' >/dev/null 2>&1
  do sleep 1; done
  $c down -v --rmi local >/dev/null 2>&1
  docker rmi "$tag" >/dev/null 2>&1 || true
""")


def shell(script: str, folders: list[Path]) -> float:
    start = time.monotonic()
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    subprocess.run(["bash", "-c", script, "bench", *map(str, folders)], check=True, env=env)
    return time.monotonic() - start


def tool(folders: list[Path], jobs: int) -> tuple[float, int]:
    rubric = load_rubric(ROOT / "rubrics" / "tp1-docker.yaml")
    start = time.monotonic()
    with SandboxRunner(SandboxLimits(), jobs=jobs) as runner:
        runner.check()
        with ThreadPoolExecutor(jobs) as pool:
            graded = list(pool.map(lambda f: grade_submission(f, [rubric], forced=rubric,
                                                              sandbox=runner), folders))
    ok = sum(1 for g in graded if g.sandbox and g.sandbox.health and g.sandbox.health.ok
             and (g.sandbox.compose is None or g.sandbox.compose.ok))
    return time.monotonic() - start, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10, help="submissions (default 10)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        root = Path(tmp)
        images = [F.submission(root / "image", f"s{i:02d}", compose=None) for i in range(args.n)]
        stacks = [F.submission(root / "stack", f"s{i:02d}") for i in range(args.n)]
        rows = []
        seconds, ok = tool(images, 1)
        by_hand = shell(SHELL_IMAGE, images)
        rows.append(("image: build + run + /health", seconds, by_hand, ok))
        seconds, ok = tool(stacks, 1)
        by_hand = shell(SHELL_STACK, stacks)
        rows.append(("stack: + compose up + /health + psql + down", seconds, by_hand, ok))
        seconds, ok = tool(stacks, 2)
        rows.append(("stack, --sandbox-jobs 2", seconds, by_hand, ok))
    print(f"{args.n} submissions, {os.cpu_count()} CPUs")
    print(f"{'case':46} {'tool s':>8} {'shell s':>8} {'ratio':>6} {'per sub s':>9}  ok")
    for name, seconds, by_hand, ok in rows:
        print(f"{name:46} {seconds:8.1f} {by_hand:8.1f} {seconds / by_hand:6.2f} "
              f"{seconds / args.n:9.2f}  {ok}/{args.n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
