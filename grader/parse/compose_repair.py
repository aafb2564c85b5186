"""Rebuild a docker-compose file whose indentation was lost in the report.

Students paste compose files into Word or a markdown editor that flattens
them: every line at column 0, a blank line between lines, comments kept.
YAML then parses to a flat mapping (or fails), and every compose criterion
would miss the services. The structure can be recovered from what the keys
mean: ``services`` holds service names, a service holds known service keys,
``environment`` holds variables, list items belong to the last key that
expects a list. Original indentation is ignored on purpose, so partially
indented files are handled the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

__all__ = [
    "SERVICE_KEYS",
    "is_compose_structure",
    "is_compose_text",
    "load_yaml",
    "rebuild_compose",
]

_TOP_KEYS = frozenset(
    {"version", "name", "services", "volumes", "networks", "configs", "secrets", "include"}
)
SERVICE_KEYS = frozenset(
    {
        "image", "build", "ports", "environment", "depends_on", "volumes", "command",
        "restart", "env_file", "container_name", "healthcheck", "networks", "working_dir",
        "entrypoint", "expose", "deploy", "labels", "logging", "hostname", "user", "tty",
        "stdin_open", "privileged", "cap_add", "cap_drop", "extra_hosts", "dns", "profiles",
        "platform", "links", "ulimits", "shm_size", "init", "secrets", "configs",
        "network_mode", "pid", "ipc", "devices", "tmpfs", "stop_signal", "stop_grace_period",
        "mem_limit", "cpus", "sysctls", "security_opt", "pull_policy", "develop", "scale",
        "domainname", "mac_address", "read_only", "runtime", "userns_mode", "volumes_from",
    }
)
"""Keys a compose service can have; a key followed by them is a service name."""
# Known children of nested maps; ``None`` means "any key" (variables, names).
_CHILDREN: dict[str, frozenset[str] | None] = {
    "build": frozenset(
        {"context", "dockerfile", "args", "target", "cache_from", "labels", "network",
         "shm_size", "ssh", "secrets", "platforms", "tags", "additional_contexts",
         "dockerfile_inline", "no_cache", "pull"}
    ),
    "healthcheck": frozenset(
        {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}
    ),
    "deploy": frozenset(
        {"resources", "replicas", "restart_policy", "mode", "placement", "update_config",
         "rollback_config", "labels", "endpoint_mode"}
    ),
    "resources": frozenset({"limits", "reservations"}),
    "limits": frozenset({"cpus", "memory", "pids", "devices"}),
    "reservations": frozenset({"cpus", "memory", "pids", "devices", "generic_resources"}),
    "restart_policy": frozenset({"condition", "delay", "max_attempts", "window"}),
    "logging": frozenset({"driver", "options"}),
    "depends_on": None,
    "environment": None,
    "labels": None,
    "args": None,
    "options": None,
    "driver_opts": None,
    "sysctls": None,
    "ulimits": None,
    "extra_hosts": None,
}
_RESOURCE_KEYS = frozenset(
    {"driver", "driver_opts", "external", "name", "labels", "ipam", "attachable", "internal",
     "file", "environment", "enable_ipv6"}
)
_RESOURCE_ONLY = frozenset(
    {"driver", "driver_opts", "external", "ipam", "attachable", "internal", "enable_ipv6", "file"}
)
_SERVICE_NET_ONLY = frozenset(
    {"aliases", "ipv4_address", "ipv6_address", "priority", "link_local_ips", "mac_address"}
)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEY_RE = re.compile(r"""^("[^"]*"|'[^']*'|[^\s"'#:][^:#]*?)\s*:(?:\s+(.*?))?\s*$""")


@dataclass(slots=True)
class _Node:
    """An open mapping while rebuilding: where its children go and which keys it takes."""

    indent: int
    """Indentation of the children of this node."""
    children: frozenset[str] | None
    """Keys it accepts; ``None`` for any key."""
    role: str = "map"
    """``root``, ``services``, ``service``, ``resources`` (top volumes/networks), ``item``
    (a ``- key: value`` list item) or ``map``."""


def is_compose_structure(data: object) -> bool:
    """Whether parsed YAML has the shape compose needs: a ``services`` dict of dicts."""
    if not isinstance(data, dict):
        return False
    services = data.get("services")
    return (
        isinstance(services, dict)
        and bool(services)
        and all(isinstance(v, dict) for v in services.values())
    )


@lru_cache(maxsize=64)
def is_compose_text(text: str) -> bool:
    """``is_compose_structure(load_yaml(text))``, remembered: classifying a block and then
    repairing it asks the same question about the same text."""
    return is_compose_structure(load_yaml(text))


def load_yaml(text: str) -> object:
    """``yaml.safe_load`` (``None`` on error), through libyaml's safe loader when present."""
    try:
        return yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError:
        return None


def _split_key(line: str) -> tuple[str, str] | None:
    match = _KEY_RE.match(line)
    if match is None:
        return None
    return match.group(1).strip("\"'"), (match.group(2) or "")


def _opens(value: str) -> bool:
    """An empty value (or a bare anchor) opens a nested block."""
    return value == "" or (value.startswith("&") and " " not in value)


class _Rebuilder:
    """Walks the content lines once, keeping a stack of open mappings."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.stack: list[_Node] = [_Node(0, None, "root")]
        self.out: list[str] = []

    def _next(self, i: int, skip: int = 1) -> tuple[str, str] | str | None:
        """The key/value of the line ``skip`` lines after ``i``; ``"-"`` for a list item."""
        j = i + skip
        if j >= len(self.lines):
            return None
        if self.lines[j].startswith("-"):
            return "-"
        return _split_key(self.lines[j])

    def _is_service_name(self, i: int, value: str) -> bool:
        nxt = self._next(i)
        return _opens(value) and isinstance(nxt, tuple) and nxt[0] in SERVICE_KEYS

    def _is_top_key(self, i: int, key: str, value: str) -> bool:
        """Whether a key starts a top-level section (``volumes`` is also a service key)."""
        in_service = any(node.role == "service" for node in self.stack)
        if key in ("version", "services", "include") or key.startswith("x-"):
            return True
        if key == "name":
            return len(self.stack) == 1  # ``name: project`` before anything else
        if key not in ("volumes", "networks", "configs", "secrets"):
            return False
        if not in_service or not _opens(value):
            return not in_service
        for j in range(i + 1, len(self.lines)):
            nxt = self._next(j, 0)
            if nxt == "-":
                return False
            if not isinstance(nxt, tuple):
                return True
            name = nxt[0]
            if name in _RESOURCE_ONLY or name in _TOP_KEYS:
                return True
            if name in _SERVICE_NET_ONLY or name in SERVICE_KEYS:
                return False
        return True

    def _pop_to(self, depth: int) -> _Node:
        del self.stack[depth + 1:]
        return self.stack[depth]

    def _place_key(self, i: int, key: str, value: str) -> _Node | None:
        """Find the open mapping this key belongs to, closing deeper ones."""
        if self._is_top_key(i, key, value):
            return self._pop_to(0)
        for depth in range(len(self.stack) - 1, -1, -1):
            node = self.stack[depth]
            if node.children is not None and key in node.children:
                return self._pop_to(depth)
        if self._is_service_name(i, value):
            for depth, node in enumerate(self.stack):
                if node.role == "services":
                    return self._pop_to(depth)
        for depth in range(len(self.stack) - 1, 0, -1):
            node = self.stack[depth]
            if node.children is None:
                return self._pop_to(depth)
        return None

    def _child(self, parent: _Node, key: str) -> _Node:
        indent = parent.indent + 2
        if parent.role == "root" and key == "services":
            return _Node(indent, None, "services")
        if parent.role == "root" and key in ("volumes", "networks", "configs", "secrets"):
            return _Node(indent, None, "resources")
        if parent.role == "services":
            return _Node(indent, SERVICE_KEYS, "service")
        if parent.role == "resources":
            return _Node(indent, _RESOURCE_KEYS)
        return _Node(indent, _CHILDREN.get(key))

    def run(self) -> str | None:
        for i, line in enumerate(self.lines):
            if line.startswith("-"):
                top = self.stack[-1]
                if top.role in ("root", "services", "service", "resources"):
                    return None
                self.out.append(" " * top.indent + line)
                item = _split_key(line[1:].strip())
                if item is not None and not _opens(item[1]):
                    # A ``- key: value`` item: its next plain keys are siblings in the item.
                    self.stack.append(_Node(top.indent + 2, None, "item"))
                continue
            parsed = _split_key(line)
            if parsed is None:
                return None
            key, value = parsed
            parent = self._place_key(i, key, value)
            if parent is None:
                return None
            self.out.append(" " * parent.indent + line)
            if _opens(value):
                self.stack.append(self._child(parent, key))
        return "\n".join(self.out) + "\n"


@lru_cache(maxsize=64)
def rebuild_compose(text: str) -> str | None:
    """Return ``text`` re-indented as a compose file, or ``None`` if it needs no or no sure fix.

    ``None`` when the original already parses to a ``services`` dict of dicts,
    and when the rebuilt text does not: a wrong guess must never replace what
    the student wrote. Results are cached (the function is pure and its result a string).
    """
    if is_compose_text(text):
        return None
    lines = []
    for raw in text.splitlines():
        line = raw.replace("\t", "    ").strip()
        if not line or line.startswith("#") or line == "---":
            continue
        if line.startswith("-") and not line.startswith("- ") and line != "-":
            return None
        lines.append(line)
    if not any(line.startswith("services:") for line in lines):
        return None
    rebuilt = _Rebuilder(lines).run()
    if rebuilt is None or not is_compose_text(rebuilt):
        return None
    return rebuilt
