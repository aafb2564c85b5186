"""The compose policy check (no engine): each forbidden construct is refused or rewritten,
and a clean compose file keeps its meaning."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from sandbox_fixtures import COMPOSE, PRIVILEGED_COMPOSE

from grader.sandbox.policy import DROPPED_CAPABILITIES, check_compose, dump_compose

LABELS = {"org.docker-tp-grader.run": "r1", "org.docker-tp-grader.student": "alice"}
LIMITS = {"mem_limit": "512m", "memswap_limit": "512m", "cpus": 1.0, "pids_limit": 256}


def api_with(extra: str) -> str:
    """The lab's compose file with ``extra`` (indented service keys) added to ``api``."""
    return COMPOSE.replace("    build: ./api\n", "    build: ./api\n" + extra)


def checked(text: str, project_dir: str = ".") -> Any:
    return check_compose(text, project_dir=project_dir, labels=LABELS, limits=LIMITS)


def test_clean_compose_keeps_its_services_and_settings() -> None:
    result = checked(COMPOSE)
    assert result.allowed and result.refused == ()
    services = result.compose["services"]
    assert set(services) == {"db", "api"}
    assert services["db"]["image"] == "postgres:16"
    assert services["db"]["environment"] == {"POSTGRES_USER": "demo", "POSTGRES_PASSWORD": "demo",
                                             "POSTGRES_DB": "demo"}
    assert services["api"]["build"] == "./api"
    assert services["api"]["depends_on"] == ["db"]
    assert "version" not in result.compose


def test_ports_are_bound_to_loopback_with_ephemeral_host_ports() -> None:
    result = checked(COMPOSE)
    assert result.compose["services"]["api"]["ports"] == ["127.0.0.1::8000"]
    assert result.compose["services"]["db"]["ports"] == ["127.0.0.1::5432"]
    assert any("8000:8000" in line for line in result.rewritten)
    assert result.refused == ()


@pytest.mark.parametrize(("port", "expected"), [
    ("8000", "127.0.0.1::8000"),
    ("0.0.0.0:8000:8000", "127.0.0.1::8000"),
    ("127.0.0.1:8000:8000/udp", "127.0.0.1::8000/udp"),
    ("8000-8001:8000-8001", "127.0.0.1::8000-8001"),
    (8000, "127.0.0.1::8000"),
])
def test_every_short_port_syntax_is_rewritten(port: object, expected: str) -> None:
    document = yaml.safe_load(COMPOSE)
    document["services"]["api"]["ports"] = [port]
    result = checked(dump_compose(document))
    assert result.compose["services"]["api"]["ports"] == [expected]


def test_long_port_syntax_loses_its_host_address_and_port() -> None:
    result = checked(api_with("    expose: ['9000']\n").replace(
        '      - "8000:8000"', "      - {target: 8000, published: 80, host_ip: 0.0.0.0}"))
    assert result.compose["services"]["api"]["ports"] == [
        {"target": 8000, "host_ip": "127.0.0.1"}]


def test_every_service_gets_limits_labels_and_no_new_privileges() -> None:
    result = checked(COMPOSE)
    for service in result.compose["services"].values():
        assert service["mem_limit"] == "512m" and service["pids_limit"] == 256
        assert service["security_opt"] == ["no-new-privileges:true"]
        assert service["cap_drop"] == list(DROPPED_CAPABILITIES)
        assert service["labels"]["org.docker-tp-grader.run"] == "r1"
        assert service["restart"] == "no"
    assert result.compose["networks"]["default"]["labels"] == LABELS


@pytest.mark.parametrize(("extra", "what"), [
    ("    privileged: true\n", "privileged"),
    ("    network_mode: host\n", "network_mode"),
    ("    network_mode: container:other\n", "network_mode"),
    ("    pid: host\n", "pid"),
    ("    ipc: host\n", "ipc"),
    ("    uts: host\n", "uts"),
    ("    userns_mode: host\n", "userns_mode"),
    ("    devices: ['/dev/sda:/dev/sda']\n", "devices"),
    ("    cap_add: [SYS_ADMIN]\n", "cap_add"),
    ("    sysctls: {net.core.somaxconn: 1024}\n", "sysctls"),
    ("    security_opt: ['seccomp:unconfined']\n", "security_opt"),
    ("    security_opt: ['apparmor=unconfined']\n", "security_opt"),
    ("    cgroup_parent: /\n", "cgroup_parent"),
    ("    runtime: runsc\n", "runtime"),
    ("    oom_kill_disable: true\n", "oom_kill_disable"),
    ("    volumes: ['/:/host']\n", "volumes"),
    ("    volumes: ['/var/run/docker.sock:/var/run/docker.sock']\n", "volumes"),
    ("    volumes: ['../..:/up']\n", "volumes"),
    ("    volumes: ['~/.ssh:/keys:ro']\n", "volumes"),
    ("    volumes: ['${HOME}:/home']\n", "volumes"),
    ("    volumes: [{type: bind, source: /etc, target: /etc2}]\n", "volumes"),
    ("    env_file: /etc/environment\n", "env_file"),
    ("    env_file: ../secrets.env\n", "env_file"),
    ("    volumes_from: ['container:someone-else']\n", "volumes_from"),
    ("    external_links: [other_db]\n", "external_links"),
])
def test_forbidden_service_settings_are_refused(extra: str, what: str) -> None:
    result = checked(api_with(extra))
    assert not result.allowed
    assert any(what in line for line in result.refused), result.refused
    assert all(line.startswith("services.api") for line in result.refused)


@pytest.mark.parametrize(("build", "what"), [
    ("    build: {context: ./api, network: host}\n", "build.network"),
    ("    build: {context: /etc}\n", "build"),
    ("    build: {context: ../../elsewhere}\n", "build"),
    ("    build: {context: 'https://github.com/x/y.git'}\n", "build"),
    ("    build: {context: ./api, dockerfile: /etc/passwd}\n", "build.dockerfile"),
    ("    build: {context: ./api, secrets: [token]}\n", "build.secrets"),
])
def test_unsafe_builds_are_refused(build: str, what: str) -> None:
    result = checked(COMPOSE.replace("    build: ./api\n", build))
    assert any(line.startswith(f"services.api.{what}") for line in result.refused), \
        result.refused


@pytest.mark.parametrize(("top", "what"), [
    ("volumes:\n  data: {external: true}\n", "volumes.data"),
    ("volumes:\n  data:\n    driver_opts: {type: none, o: bind, device: /}\n", "volumes.data"),
    ("networks:\n  outside: {external: true}\n", "networks.outside"),
    ("networks:\n  lan: {driver: macvlan}\n", "networks.lan"),
    ("secrets:\n  token: {environment: AWS_SECRET_ACCESS_KEY}\n", "secrets.token"),
    ("secrets:\n  key: {file: /root/.ssh/id_rsa}\n", "secrets.key"),
    ("configs:\n  conf: {file: ../../etc/shadow}\n", "configs.conf"),
])
def test_forbidden_top_level_definitions_are_refused(top: str, what: str) -> None:
    result = checked(COMPOSE + top)
    assert any(line.startswith(what) for line in result.refused), result.refused


def test_the_lab_privileged_host_mount_file_is_refused_with_both_reasons() -> None:
    result = checked(PRIVILEGED_COMPOSE)
    assert not result.allowed
    assert any("privileged" in line for line in result.refused)
    assert any("/:/host" in line or "montage de /" in line for line in result.refused)


def test_mounts_inside_the_project_are_allowed() -> None:
    result = checked(api_with("    volumes: ['./api:/app', 'data:/data', '/cache']\n")
                     + "volumes:\n  data: {}\n")
    assert result.allowed, result.refused
    assert result.compose["volumes"]["data"]["labels"] == LABELS


def test_paths_are_relative_to_the_compose_files_folder() -> None:
    inside = checked(api_with("    volumes: ['../shared:/shared']\n"), project_dir="stack")
    assert inside.allowed, inside.refused
    outside = checked(api_with("    volumes: ['../../shared:/shared']\n"), project_dir="stack")
    assert not outside.allowed


def test_settings_the_sandbox_owns_are_replaced_and_listed() -> None:
    result = checked(api_with("    container_name: api\n    mem_limit: 64g\n"
                              "    deploy: {resources: {limits: {memory: 64g}}}\n"
                              "    restart: always\n"))
    api = result.compose["services"]["api"]
    assert result.allowed
    assert "container_name" not in api and "deploy" not in api
    assert api["mem_limit"] == "512m" and api["restart"] == "no"
    assert any("container_name" in line for line in result.rewritten)
    assert any("mem_limit" in line for line in result.rewritten)


def test_harmless_namespace_settings_pass() -> None:
    result = checked(api_with("    network_mode: service:db\n    ipc: private\n"))
    assert result.allowed, result.refused


@pytest.mark.parametrize("text", ["", "services: []\n", "version: '3'\n", "a: [b\n"])
def test_unreadable_files_are_reported_not_raised(text: str) -> None:
    result = checked(text)
    assert result.compose is None and result.error
    assert not result.allowed


def test_sanitized_file_round_trips_through_yaml() -> None:
    result = checked(COMPOSE)
    assert yaml.safe_load(dump_compose(result.compose)) == result.compose
