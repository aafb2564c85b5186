"""Read shell command lines into a canonical form, so that equivalent spellings compare equal.

``docker container ls --all``, ``docker ps -a`` and ``sudo docker ps -a`` are the same
command; ``docker-compose up --detach`` is ``docker compose up -d``; ``psql -U demo demo``
is ``psql --username=demo --dbname=demo``. Everything that makes spellings equivalent is in
tables below (program aliases, subcommand aliases, each subcommand's flags with their long
name and whether they take a value), never in code that knows a particular lab.

A parsed command is an ``Invocation``: its command path (``docker compose exec``), its
options (canonical name and normalised value, in any order), its positional arguments (in
order) and, for ``run``/``exec``, the command it runs inside the container, itself an
``Invocation``. ``compare`` says how much of an expected invocation another one holds, and
what differs, in French, for the feedback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Comparison", "Invocation", "Option", "Word", "compare", "normalise",
           "parse_expected", "parse_words", "program_names", "program_of", "size", "split_words"]


# --- tables -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spec:
    """How one command level reads its words (``docker``, ``docker run``, ``psql`` …)."""

    flags: Mapping[str, str]
    """Every spelling of every known flag (``-p``, ``--publish``) → its canonical name."""
    valued: frozenset[str]
    """Canonical names of the flags that take a value."""
    group: bool = False
    """The first non-option word is a subcommand (``docker``, ``docker compose``)."""
    inner: bool = False
    """After the first positional (image, container, service) comes the command run inside."""
    unordered: bool = False
    """Positionals are a set (services, containers), not a sequence."""
    positional_options: tuple[str, ...] = ()
    """Options that positionals fill when absent, in order (``psql [DBNAME [USERNAME]]``)."""
    known: bool = True
    """False for programs not in the table: flags are taken as having no value."""


def _spec(flags: str = "", *, group: bool = False, inner: bool = False,
          unordered: bool = False, positional_options: tuple[str, ...] = ()) -> Spec:
    """A spec from ``"-p/--publish= -d/--detach"``: spellings joined by ``/``, ``=`` when
    the flag takes a value; the first ``--long`` spelling is the canonical name."""
    mapping: dict[str, str] = {}
    valued: set[str] = set()
    for entry in flags.split():
        names = entry.rstrip("=").split("/")
        canonical = next((name for name in names if name.startswith("--")), names[0])
        mapping.update(dict.fromkeys(names, canonical))
        if entry.endswith("="):
            valued.add(canonical)
    return Spec(mapping, frozenset(valued), group=group, inner=inner, unordered=unordered,
                positional_options=positional_options)


_GENERIC = Spec({}, frozenset(), known=False)

_RUN = (
    "-d/--detach -i/--interactive -t/--tty -p/--publish= -P/--publish-all -v/--volume= "
    "-e/--env= --env-file= --name= --rm -w/--workdir= -u/--user= --entrypoint= "
    "--network/--net= -h/--hostname= -m/--memory= --memory-swap= --cpus= -c/--cpu-shares= "
    "--restart= --mount= -l/--label= --label-file= --platform= --pull= --init --privileged "
    "--read-only --add-host= --cap-add= --cap-drop= --gpus= --expose= --link= -a/--attach= "
    "--dns= --shm-size= --ulimit= --log-driver= --log-opt= --security-opt= --tmpfs= --ipc= "
    "--pid= --health-cmd= --health-interval= --health-retries= --health-timeout= "
    "--no-healthcheck --stop-signal= --stop-timeout= --detach-keys= --device= --group-add= "
    "--ip= --volumes-from= -q/--quiet --runtime= --userns= --sysctl= --network-alias= "
    "--cidfile= --sig-proxy="
)
_BUILD = (
    "-t/--tag= -f/--file= --no-cache --pull -q/--quiet --build-arg= --target= --platform= "
    "--progress= --network= --label= --rm --force-rm --secret= --ssh= --cache-from= "
    "--cache-to= --load --push -o/--output= --iidfile= --add-host= -m/--memory= "
    "--shm-size= --ulimit= --build-context= --builder= --metadata-file= --provenance= --sbom="
)
_COMPOSE_UP = (
    "-d/--detach --build --no-build --force-recreate --no-recreate --remove-orphans "
    "-V/--renew-anon-volumes --scale= -t/--timeout= --wait --wait-timeout= --no-deps "
    "--abort-on-container-exit --exit-code-from= --pull= --no-start --quiet-pull "
    "--always-recreate-deps --attach= --no-attach= --attach-dependencies --no-color "
    "--no-log-prefix --timestamps -w/--watch -y/--yes"
)
_COMPOSE_RUN = (
    "-d/--detach --rm -e/--env= --name= -p/--publish= -v/--volume= -T/--no-TTY -u/--user= "
    "-w/--workdir= --entrypoint= --no-deps --service-ports --build -i/--interactive -t/--tty "
    "-l/--label= --use-aliases --pull= --remove-orphans --cap-add= --cap-drop= --quiet-pull"
)
_PRUNE = "-f/--force --filter="

_SPECS: dict[str, Spec] = {
    "docker": _spec("--config= -c/--context= -D/--debug -H/--host= -l/--log-level= --tls "
                    "--tlscacert= --tlscert= --tlskey= --tlsverify", group=True),
    "docker run": _spec(_RUN, inner=True),
    "docker create": _spec(_RUN, inner=True),
    "docker exec": _spec("-d/--detach -i/--interactive -t/--tty -e/--env= --env-file= "
                         "-u/--user= -w/--workdir= --privileged --detach-keys=", inner=True),
    "docker build": _spec(_BUILD),
    "docker ps": _spec("-a/--all -q/--quiet -s/--size -l/--latest -n/--last= -f/--filter= "
                       "--format= --no-trunc"),
    "docker images": _spec("-a/--all -q/--quiet -f/--filter= --format= --digests --no-trunc "
                           "--tree"),
    "docker logs": _spec("-f/--follow -t/--timestamps -n/--tail= --since= --until= --details"),
    "docker stop": _spec("-t/--time/--timeout= -s/--signal=", unordered=True),
    "docker restart": _spec("-t/--time/--timeout= -s/--signal=", unordered=True),
    "docker start": _spec("-a/--attach -i/--interactive --detach-keys=", unordered=True),
    "docker kill": _spec("-s/--signal=", unordered=True),
    "docker rm": _spec("-f/--force -v/--volumes -l/--link", unordered=True),
    "docker rmi": _spec("-f/--force --no-prune", unordered=True),
    "docker pull": _spec("-a/--all-tags -q/--quiet --platform= --disable-content-trust"),
    "docker push": _spec("-a/--all-tags -q/--quiet --platform= --disable-content-trust"),
    "docker inspect": _spec("-f/--format= --type= -s/--size", unordered=True),
    "docker stats": _spec("-a/--all --no-stream --no-trunc --format=", unordered=True),
    "docker top": _spec(),
    "docker port": _spec(),
    "docker tag": _spec(),
    "docker cp": _spec("-a/--archive -L/--follow-link -q/--quiet"),
    "docker history": _spec("-H/--human --no-trunc -q/--quiet --format="),
    "docker save": _spec("-o/--output= --platform="),
    "docker load": _spec("-i/--input= -q/--quiet --platform="),
    "docker login": _spec("-u/--username= -p/--password= --password-stdin"),
    "docker version": _spec("-f/--format="),
    "docker info": _spec("-f/--format="),
    "docker container": _spec(group=True),
    "docker container prune": _spec(_PRUNE),
    "docker image": _spec(group=True),
    "docker image prune": _spec("-a/--all " + _PRUNE),
    "docker volume": _spec(group=True),
    "docker volume ls": _spec("-q/--quiet -f/--filter= --format= --cluster"),
    "docker volume rm": _spec("-f/--force", unordered=True),
    "docker volume prune": _spec("-a/--all " + _PRUNE),
    "docker volume create": _spec("-d/--driver= -o/--opt= --label= --name="),
    "docker volume inspect": _spec("-f/--format=", unordered=True),
    "docker network": _spec(group=True),
    "docker network ls": _spec("-q/--quiet -f/--filter= --format= --no-trunc"),
    "docker network rm": _spec("-f/--force", unordered=True),
    "docker network prune": _spec(_PRUNE),
    "docker network create": _spec("-d/--driver= --subnet= --gateway= --internal --attachable "
                                   "-o/--opt= --label="),
    "docker network inspect": _spec("-f/--format= -v/--verbose", unordered=True),
    "docker system": _spec(group=True),
    "docker system prune": _spec("-a/--all --volumes " + _PRUNE),
    "docker system df": _spec("-v/--verbose --format="),
    "docker builder": _spec(group=True),
    "docker builder prune": _spec("-a/--all --keep-storage= " + _PRUNE),
    "docker buildx": _spec("--builder=", group=True),
    "docker context": _spec(group=True),
    "docker compose": _spec("-f/--file= -p/--project-name= --project-directory= --env-file= "
                            "--profile= --ansi= --progress= --parallel= --compatibility "
                            "--dry-run", group=True),
    "docker compose up": _spec(_COMPOSE_UP, unordered=True),
    "docker compose down": _spec("-v/--volumes --rmi= --remove-orphans -t/--timeout="),
    "docker compose ps": _spec("-a/--all -q/--quiet --services --format= --filter= --status= "
                               "--no-trunc --orphans", unordered=True),
    "docker compose logs": _spec("-f/--follow -t/--timestamps -n/--tail= --since= --until= "
                                 "--no-color --no-log-prefix --index=", unordered=True),
    "docker compose exec": _spec("-d/--detach -T/--no-TTY -e/--env= -u/--user= -w/--workdir= "
                                 "--index= --privileged -i/--interactive -t/--tty",
                                 inner=True),
    "docker compose run": _spec(_COMPOSE_RUN, inner=True),
    "docker compose build": _spec("--no-cache --pull -q/--quiet --build-arg= --progress= "
                                  "--push -m/--memory= --ssh= --with-dependencies --builder=",
                                  unordered=True),
    "docker compose restart": _spec("-t/--timeout= --no-deps", unordered=True),
    "docker compose stop": _spec("-t/--timeout=", unordered=True),
    "docker compose start": _spec(unordered=True),
    "docker compose rm": _spec("-f/--force -s/--stop -v/--volumes", unordered=True),
    "docker compose pull": _spec("-q/--quiet --ignore-pull-failures --include-deps --policy=",
                                 unordered=True),
    "docker compose kill": _spec("-s/--signal= --remove-orphans", unordered=True),
    "docker compose config": _spec("-q/--quiet --services --volumes --images --profiles "
                                   "--format= -o/--output= --no-interpolate"),
    "docker compose images": _spec("-q/--quiet --format=", unordered=True),
    "docker compose top": _spec(unordered=True),
    "docker compose ls": _spec("-a/--all -q/--quiet --format= --filter="),
    "psql": _spec("-U/--username= -d/--dbname= -h/--host= -p/--port= -c/--command= "
                  "-f/--file= -W/--password -w/--no-password -X/--no-psqlrc -q/--quiet "
                  "-t/--tuples-only -A/--no-align -l/--list -v/--set/--variable= -P/--pset= "
                  "-o/--output= -E/--echo-hidden -e/--echo-queries -a/--echo-all "
                  "-1/--single-transaction -x/--expanded -L/--log-file= -F/--field-separator= "
                  "-R/--record-separator= -H/--html -s/--single-step -S/--single-line "
                  "-b/--echo-errors -V/--version",
                  positional_options=("--dbname", "--username")),
    "curl": _spec("-X/--request= -H/--header= -d/--data= --data-raw= --data-binary= "
                  "--data-urlencode= --json= -F/--form= -i/--include -I/--head -s/--silent "
                  "-S/--show-error -v/--verbose -L/--location -o/--output= -O/--remote-name "
                  "-f/--fail -k/--insecure -u/--user= -A/--user-agent= -m/--max-time= "
                  "--connect-timeout= -w/--write-out= --retry= -G/--get -b/--cookie= "
                  "-c/--cookie-jar= -e/--referer= --compressed -N/--no-buffer -4/--ipv4 "
                  "-6/--ipv6 -x/--proxy="),
}
"""Flags per command path. Paths missing here are read generically (flags without values)."""

_PROGRAMS = {"docker-compose": "docker compose"}
"""Program spellings that stand for a command path (after a Windows ``.exe`` is dropped)."""

_SUBCOMMANDS = {
    **{f"docker container {sub}": f"docker {sub}" for sub in (
        "attach", "commit", "cp", "create", "diff", "exec", "export", "inspect", "kill",
        "logs", "pause", "port", "rename", "restart", "rm", "run", "start", "stats", "stop",
        "top", "unpause", "update", "wait")},
    "docker container ls": "docker ps",
    "docker container list": "docker ps",
    "docker container ps": "docker ps",
    "docker container remove": "docker rm",
    **{f"docker image {sub}": f"docker {sub}" for sub in (
        "build", "history", "import", "inspect", "load", "pull", "push", "save", "tag")},
    "docker image ls": "docker images",
    "docker image list": "docker images",
    "docker image rm": "docker rmi",
    "docker image remove": "docker rmi",
    "docker builder build": "docker build",
    "docker buildx build": "docker build",
    "docker volume list": "docker volume ls",
    "docker volume remove": "docker volume rm",
    "docker network list": "docker network ls",
    "docker network remove": "docker network rm",
    "docker compose remove": "docker compose rm",
}
"""Subcommand spellings that stand for another path (``docker container ls`` = ``docker ps``)."""


# --- words --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word of a line, or an operator that ends the command."""

    raw: str
    """As written, quotes included."""
    value: str
    """Quotes removed."""
    start: int
    end: int
    stop: str | None = None
    """The operator (``&&``, ``|``, ``;``, ``>``, ``#``) or stray quote this word is."""


_WORD_RE = re.compile(
    r"""(?P<op>&&|\|\||[|;&]|\d?>>?|<(?![^<>\s]+>)|(?<!\S)\#)
      | (?P<word>(?:"[^"]*"|'[^']*'|<[^<>\s]+>|[^\s"'|;&<>])+)
      | (?P<stray>\S)""",
    re.X,
)
_QUOTED_RE = re.compile(r""""([^"]*)"|'([^']*)'""")


def _unquote(raw: str) -> str:
    if '"' not in raw and "'" not in raw:
        return raw
    return _QUOTED_RE.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), raw)


def split_words(text: str) -> Iterator[Word]:
    """The shell words of ``text`` (quotes grouping, operators and stray quotes marked)."""
    for match in _WORD_RE.finditer(text):
        raw = match.group(0)
        if match.lastgroup == "word":
            yield Word(raw, _unquote(raw), match.start(), match.end())
        else:
            yield Word(raw, raw, match.start(), match.end(), stop=raw)


# --- invocations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    key: str
    """Command path and canonical flag, e.g. ``docker run --publish``."""
    value: str | None
    """Normalised value; ``None`` for a flag without one."""
    shown: str
    """As written (``-p 8000:8000``), for feedback."""


@dataclass(frozen=True, slots=True)
class Invocation:
    """A command read into its canonical parts."""

    path: str
    """Program and subcommands, aliases resolved: ``docker ps``, ``docker compose exec``."""
    options: tuple[Option, ...]
    args: tuple[str, ...]
    """Normalised positional arguments, in order."""
    shown_args: tuple[str, ...]
    """The same, as written."""
    inner: Invocation | None = None
    """The command run inside the container (``docker run IMAGE CMD…``)."""
    unordered: bool = False
    group: bool = False
    """The path is a command group that still lacks its subcommand (``docker``)."""

    @property
    def program(self) -> str:
        return self.path.split(" ", 1)[0]


def program_of(word: str) -> str:
    """The command path a program word stands for: ``docker-compose.exe`` → ``docker compose``,
    ``/bin/sh`` → ``sh``."""
    name = re.split(r"[/\\]", word)[-1] or word
    if name.lower().endswith(".exe"):
        name = name[:-4]
    return _PROGRAMS.get(name, name)


@lru_cache(maxsize=64)
def program_names(program: str) -> tuple[str, ...]:
    """Every spelling of a root program (``docker`` → docker, docker-compose, docker.exe …)."""
    names = [program, *(alias for alias, path in _PROGRAMS.items()
                        if path.split(" ", 1)[0] == program)]
    return tuple(names + [f"{name}.exe" for name in names])


_URL_RE = re.compile(r"^(?:(https?)://)?(?:localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/\S*)?$",
                     re.I)
_REGISTRY_RE = re.compile(r"^(?:index\.|registry-1\.)?docker\.io/(?:library/)?")
_LATEST_RE = re.compile(r"(?<=[a-z0-9])(?::latest)$")
_PORT_RE = re.compile(r"^(\d[\d.:]*)/tcp$")


def normalise(value: str) -> str:
    """One value in canonical form: local URLs, image names, paths, port mappings."""
    url = _URL_RE.match(value)
    if url:
        scheme, port, path = url.group(1), url.group(2), url.group(3)
        return f"{(scheme or 'http').lower()}://localhost{port or ''}{(path or '').rstrip('/')}"
    if len(value) > 1:
        value = value.rstrip("/\\") or value[0]
    if len(value) > 2 and value.startswith(("./", ".\\")):
        value = value[2:]
    value = _PORT_RE.sub(r"\1", value)
    value = _REGISTRY_RE.sub("", value)
    return _LATEST_RE.sub("", value)


def _is_option(word: str) -> bool:
    return len(word) > 1 and word[0] == "-" and word != "--"


def _flag_value(value: str | None, canonical: str, spec: Spec) -> str | None:
    if value is None:
        return None
    if canonical not in spec.valued and value.lower() == "true":
        return None  # --rm=true is --rm
    return normalise(value)


def _take_option(words: Sequence[str], i: int, spec: Spec, path: str,
                 out: list[Option]) -> int:
    """Read the option(s) at ``words[i]`` into ``out``; the index of the next word."""
    word = words[i]
    if word.startswith("--") or not spec.known or spec.flags.get(word[:2]) is None:
        name, eq, value = word.partition("=")
        canonical = spec.flags.get(name, name)
        given: str | None = value if eq else None
        nxt = i + 1
        if not eq and canonical in spec.valued and nxt < len(words):
            given, nxt = words[nxt], nxt + 1
        shown = word if nxt == i + 1 else f"{word} {given}"
        out.append(Option(f"{path} {canonical}", _flag_value(given, canonical, spec), shown))
        return nxt
    # Short flags, possibly combined (-it, -dp 8000:8000) or with the value attached (-p8000).
    letters = word[1:]
    for j, letter in enumerate(letters):
        flag = f"-{letter}"
        canonical = spec.flags.get(flag, flag)
        if canonical in spec.valued:
            rest = letters[j + 1:].removeprefix("=")
            if rest:
                out.append(Option(f"{path} {canonical}", normalise(rest), f"{flag} {rest}"))
                return i + 1
            if i + 1 < len(words):
                value = words[i + 1]
                out.append(Option(f"{path} {canonical}", normalise(value), f"{flag} {value}"))
                return i + 2
        out.append(Option(f"{path} {canonical}", None, flag))
    return i + 1


def parse_words(words: Sequence[str]) -> Invocation | None:
    """The invocation written by ``words`` (quotes already removed), or None when empty."""
    if not words:
        return None
    path = program_of(words[0])
    spec = _SPECS.get(path, _GENERIC)
    options: list[Option] = []
    args: list[str] = []
    shown: list[str] = []
    inner: Invocation | None = None
    i, only_args = 1, False
    while i < len(words):
        word = words[i]
        if not only_args and word == "--":
            only_args = True
            i += 1
            continue
        if not only_args and _is_option(word):
            i = _take_option(words, i, spec, path, options)
            continue
        if spec.group:
            full = f"{path} {word}"
            path = _SUBCOMMANDS.get(full, full)
            spec = _SPECS.get(path, _GENERIC)
            i += 1
            continue
        i += 1
        if spec.known:
            args.append(normalise(word))
            shown.append(word)
        else:  # a program we know nothing about: compare words, quotes and case ignored
            pieces = word.split()
            args.extend(normalise(piece).casefold() for piece in pieces)
            shown.extend(pieces)
        if spec.inner:
            inner = parse_words(words[i:])
            break
    if spec.positional_options:
        args, shown = _fill_options(spec, path, args, shown, options)
    return Invocation(path, tuple(options), tuple(args), tuple(shown), inner,
                      spec.unordered, spec.group)


def _fill_options(spec: Spec, path: str, args: list[str], shown: list[str],
                  options: list[Option]) -> tuple[list[str], list[str]]:
    """Positionals that stand for absent options (``psql DB USER``) become those options."""
    present = {option.key for option in options}
    free = [name for name in spec.positional_options if f"{path} {name}" not in present]
    while args and free:
        name = free.pop(0)
        options.append(Option(f"{path} {name}", args.pop(0), shown.pop(0)))
    return args, shown


_PROGRAM_WORD_RE = re.compile(r"^[A-Za-z_][\w.+-]*$")


@lru_cache(maxsize=1024)
def parse_expected(command: str) -> Invocation:
    """A rubric's expected command; ``ValueError`` saying how to fix it when unusable."""
    text = command.strip()
    if not text:
        raise ValueError("the command is empty; write it as a student would type it, "
                         "e.g. 'docker ps -a'")
    words = list(split_words(text))
    if words and words[-1].stop == ";":
        words.pop()  # ``docker ps;`` is one command
    for word in words:
        if word.stop in ('"', "'"):
            raise ValueError(f"the command {command!r} has an unclosed quote; close or remove it")
        if word.stop is not None:
            raise ValueError(f"the command {command!r} chains several commands ({word.raw}); "
                             "give one command per criterion")
    values = [word.value for word in words]
    if values and values[0] == "sudo":
        values = values[1:]
    if not values or not _PROGRAM_WORD_RE.match(values[0]):
        raise ValueError(f"the command {command!r} does not start with a program name; "
                         "write it as typed, without a prompt, e.g. 'docker ps -a'")
    invocation = parse_words(values)
    assert invocation is not None
    if invocation.group:
        raise ValueError(f"the command {command!r} names no subcommand; write the whole "
                         "command, e.g. 'docker compose up -d'")
    return invocation


# --- comparison ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """How much of an expected invocation another one holds."""

    found: int
    total: int
    differences: tuple[str, ...]
    """What differs, in French (``-p 8080:8000 au lieu de -p 8000:8000``, ``option -a absente``)."""

    @property
    def share(self) -> float:
        return self.found / self.total if self.total else 1.0

    @property
    def complete(self) -> bool:
        return self.found == self.total


def _is_placeholder(value: str) -> bool:
    return len(value) > 2 and value[0] == "<" and value[-1] == ">"


def _same(expected: str | None, actual: str | None) -> bool:
    if expected is None or actual is None:
        return expected is actual
    return expected == actual or _is_placeholder(expected)


def size(expected: Invocation) -> int:
    """How many items an invocation asks for (options, positionals, inner command and its own)."""
    inner = 1 + size(expected.inner) if expected.inner is not None else 0
    return len(expected.options) + len(expected.args) + inner


def compare(expected: Invocation, actual: Invocation) -> Comparison | None:
    """What ``actual`` holds of ``expected``; None when it is another command altogether."""
    if expected.path != actual.path:
        return None
    found = 0
    differences: list[str] = []
    pool = list(actual.options)
    missing: list[Option] = []
    for option in expected.options:
        match = next((o for o in pool if o.key == option.key and _same(option.value, o.value)),
                     None)
        if match is None:
            missing.append(option)
        else:
            pool.remove(match)
            found += 1
    for option in missing:
        other = next((o for o in pool if o.key == option.key), None)
        if other is None:
            differences.append(f"option {option.shown} absente")
        else:
            pool.remove(other)
            differences.append(f"{other.shown} au lieu de {option.shown}")
    found += _compare_args(expected, actual, differences)
    if expected.inner is not None:
        if actual.inner is None:
            differences.append(f"commande {expected.inner.path} absente")
        elif expected.inner.path != actual.inner.path:
            differences.append(f"{actual.inner.path} au lieu de {expected.inner.path}")
        else:
            sub = compare(expected.inner, actual.inner)
            assert sub is not None
            found += 1 + sub.found
            differences.extend(sub.differences)
    return Comparison(found, size(expected), tuple(differences))


def _compare_args(expected: Invocation, actual: Invocation, differences: list[str]) -> int:
    found = 0
    if expected.unordered:
        pool = list(actual.args)
        for arg, shown in zip(expected.args, expected.shown_args, strict=True):
            hit = next((a for a in pool if _same(arg, a)), None)
            if hit is None:
                differences.append(f"argument {shown} absent")
            else:
                pool.remove(hit)
                found += 1
        return found
    for index, (arg, shown) in enumerate(zip(expected.args, expected.shown_args, strict=True)):
        if index >= len(actual.args):
            differences.append(f"argument {shown} absent")
        elif _same(arg, actual.args[index]):
            found += 1
        else:
            differences.append(f"{actual.shown_args[index]} au lieu de {shown}")
    return found
