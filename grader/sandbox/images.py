"""Offline base images: the images the lab's Dockerfiles and compose file start from.

A classroom (or CI) engine often has no registry: ``FROM python:3.11-slim``
cannot be pulled. ``grader images prepare`` makes working stand-ins from
Debian packages instead, with ``debootstrap`` (a minimal Debian bookworm root
file system) imported as an image under the name the lab uses:

- ``python:3.11-slim``: Debian's Python 3.11 with pip, FastAPI and Uvicorn
  already installed, so that a student's ``RUN pip install fastapi uvicorn``
  answers "Requirement already satisfied" without any network; Debian's
  "externally managed" marker is removed so that pip behaves as in the
  official image.
- ``postgres:16``: Debian's PostgreSQL (15) with an entrypoint that behaves
  like the official image's as far as the lab needs: on first start it runs
  ``initdb`` with ``POSTGRES_USER`` / ``POSTGRES_PASSWORD`` / ``POSTGRES_DB``
  (refusing to start without a password, as the official image does), then
  ``exec``\\ s ``postgres`` listening on every address.

An instructor whose engine reaches Docker Hub needs none of this. Existing
images are left alone unless ``force`` is set, so the command is cheap to run
again (CI runs it before every test run).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError

DEFAULT_MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
STAND_IN_LABEL = "org.docker-tp-grader.stand-in"
"""Label on prepared base images (not a grading label: the sweeper leaves them alone)."""

_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_POSTGRES_ENTRYPOINT = r"""#!/bin/sh
# Stand-in for the official postgres image's entrypoint (made by `grader images prepare`).
set -e
if [ "${1#-}" != "$1" ] || [ -z "$1" ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi
shift
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PATH="$PGBIN:$PATH"
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PATH PGDATA
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo "Error: Database is uninitialized and superuser password is not specified." >&2
    echo "       You must specify POSTGRES_PASSWORD to a non-empty value for the" >&2
    echo "       superuser. For example, \"-e POSTGRES_PASSWORD=password\" on \"docker run\"." >&2
    exit 1
  fi
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:-postgres}" > "$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all ${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [ "$db" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -q -U "$user" -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "PostgreSQL init process complete; ready for start up."
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
"""


_UVICORN = """#!/usr/bin/python3
# The ``uvicorn`` command, which Debian's python3-uvicorn does not ship.
import sys

from uvicorn.main import main

sys.exit(main())
"""


@dataclass(frozen=True, slots=True)
class BaseImage:
    """How to make one stand-in image from Debian packages."""

    tag: str
    """The name Dockerfiles and compose files use (``python:3.11-slim``)."""
    packages: tuple[str, ...]
    """Debian packages installed by debootstrap on top of the minimal base."""
    changes: tuple[str, ...]
    """Dockerfile instructions applied at import (ENV, CMD, ENTRYPOINT …)."""
    files: tuple[tuple[str, str, int], ...] = ()
    """Files written into the root file system: (path, text, mode)."""
    remove: tuple[str, ...] = ()
    """Paths removed from the root file system before import (globs)."""
    edits: tuple[tuple[str, str, str], ...] = ()
    """(glob, regex, replacement) applied to text files of the root file system."""


BASE_IMAGES: tuple[BaseImage, ...] = (
    BaseImage(
        tag="python:3.11-slim",
        packages=("python3", "python3-pip", "python-is-python3", "python3-fastapi",
                  "python3-uvicorn", "python3-httptools", "python3-uvloop",
                  "python3-websockets", "python3-dotenv", "python3-yaml", "ca-certificates"),
        changes=(f"ENV {_PATH}", "ENV LANG=C.UTF-8", "ENV PYTHONDONTWRITEBYTECODE=1",
                 'CMD ["python3"]'),
        files=(("usr/local/bin/uvicorn", _UVICORN, 0o755),),
        remove=("usr/lib/python3.*/EXTERNALLY-MANAGED",),
        # Debian ships FastAPI 0.92 with Starlette 0.26.1, one minor above FastAPI's pin:
        # pip would then try to download Starlette for ``pip install fastapi``.
        edits=(("usr/lib/python3/dist-packages/fastapi-*.dist-info/METADATA",
                r"(?m)^Requires-Dist: starlette\b.*$", "Requires-Dist: starlette>=0.25.0"),),
    ),
    BaseImage(
        tag="postgres:16",
        packages=("postgresql", "postgresql-client", "ca-certificates"),
        changes=(f"ENV {_PATH}", "ENV LANG=C.UTF-8", "ENV PGDATA=/var/lib/postgresql/data",
                 "EXPOSE 5432",
                 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]', 'CMD ["postgres"]'),
        files=(("usr/local/bin/docker-entrypoint.sh", _POSTGRES_ENTRYPOINT, 0o755),),
        remove=("var/lib/postgresql/*/main", "etc/postgresql/*/main"),
    ),
)

_CLEAN = ("var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "usr/share/doc/*",
          "usr/share/man/*", "usr/share/locale/*", "var/log/*.log")


def _import_tag(tag: str) -> tuple[str, str]:
    repository, _, version = tag.rpartition(":")
    return (repository, version) if repository else (tag, "latest")


def _debootstrap(image: BaseImage, rootfs: Path, mirror: str) -> None:
    if shutil.which("debootstrap") is None:
        raise GraderError("debootstrap is not installed; on Debian/Ubuntu: "
                          "sudo apt-get install debootstrap")
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(image.packages)}",
               SUITE, str(rootfs), mirror]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise GraderError(f"debootstrap failed for {image.tag} (mirror {mirror}); "
                          f"it must run as root with access to a Debian mirror:\n{tail}")


def _customise(image: BaseImage, rootfs: Path) -> None:
    for pattern in (*image.remove, *_CLEAN):
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    for pattern, regex, replacement in image.edits:
        for path in rootfs.glob(pattern):
            text = path.read_text(encoding="utf-8")
            path.write_text(re.sub(regex, replacement, text), encoding="utf-8")
    for relative, text, mode in image.files:
        target = rootfs / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        target.chmod(mode)


def _import(client: object, image: BaseImage, rootfs: Path, workdir: Path) -> None:
    archive = workdir / "rootfs.tar"
    subprocess.run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(archive), "."],
                   check=True, capture_output=True)
    repository, tag = _import_tag(image.tag)
    changes = [*image.changes, f"LABEL {STAND_IN_LABEL}=debian-{SUITE}"]
    api = client.api  # type: ignore[attr-defined]
    api.import_image(src=str(archive), repository=repository, tag=tag, changes=changes)


def prepare_images(*, force: bool = False, mirror: str | None = None,
                   only: tuple[str, ...] = (), echo: Callable[[str], None] = print
                   ) -> list[tuple[str, str]]:
    """Make the missing base images on the engine ``DOCKER_HOST`` points at.

    Returns ``(tag, what happened)`` pairs: ``present`` (left alone) or
    ``made in N s``. Needs root and ``debootstrap`` on the machine running the
    command (the root file system is built here, then imported into the
    engine, which may be remote).
    """
    from grader.sandbox.engine import connect

    client = connect()
    mirror = mirror or os.environ.get("GRADER_DEBIAN_MIRROR") or DEFAULT_MIRROR
    results: list[tuple[str, str]] = []
    try:
        for image in BASE_IMAGES:
            if only and image.tag not in only:
                continue
            if not force and _present(client, image.tag):
                results.append((image.tag, "present"))
                echo(f"{image.tag}: present")
                continue
            echo(f"{image.tag}: debootstrap {SUITE} + {', '.join(image.packages)} …")
            start = time.monotonic()
            with tempfile.TemporaryDirectory(prefix="grader-image-") as tmp:
                rootfs = Path(tmp) / "rootfs"
                _debootstrap(image, rootfs, mirror)
                _customise(image, rootfs)
                _import(client, image, rootfs, Path(tmp))
            seconds = time.monotonic() - start
            results.append((image.tag, f"made in {seconds:.0f} s"))
            echo(f"{image.tag}: made in {seconds:.0f} s")
    finally:
        client.close()
    return results


def _present(client: object, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)  # type: ignore[attr-defined]
    except docker.errors.ImageNotFound:
        return False
    return True
