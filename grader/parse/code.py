"""Recognise code in student reports by its shape, not by its fence label.

Students fence a Dockerfile as ``bash``, paste console output as ``exec`` or
``terminaloutput``, or paste code with no fence at all, often flattened by a
word processor. Criteria must see a Dockerfile as a Dockerfile wherever it
sits, so the kind is decided from the lines themselves; the fence label only
breaks ties. Everything here is line based, with regexes compiled once and
cheap first-word tests in front of them, so that a whole report is scanned in
a few milliseconds.
"""

from __future__ import annotations

import ast
import json
import re
import string
import textwrap
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from grader.models import CodeKind
from grader.parse.compose_repair import SERVICE_KEYS, is_compose_text, load_yaml, rebuild_compose

__all__ = ["CodeRun", "classify_code", "find_code_runs", "rebuild_compose", "strip_prompt"]

_COMMAND_WORDS = frozenset(
    re.split(
        r"\s+",
        "docker-compose docker curl wget ls cd pip pip3 python python3 py uvicorn mkdir touch cat "
        "echo git sudo apt-get apt apk brew winget psql exit uname sh bash zsh export rm cp mv "
        "chmod nano vi vim npm node kubectl pwd whoami which source make ps grep head tail ping "
        "hostname clear unzip tar podman tree find wsl http Invoke-WebRequest netstat lsof kill "
        "taskkill aws gcloud az ssh scp df du free chown ln env open start conda poetry",
    )
)
_COMMANDS = "|".join(sorted(map(re.escape, _COMMAND_WORDS), key=len, reverse=True))
_CMD_RE = re.compile(rf"^(?:sudo\s+)?({_COMMANDS}|Get-[A-Za-z]+)(?=\s|$)")
_PROMPT_RE = re.compile(
    r"""^(?:\([^()\s]*\)\s+)*(?:
        [\w.-]+@[\w.-]+(?:[:\s][^$#%>\n]*?)?\s*[$#%]\s+   # user@host:~/dir$ , user@Mac dir %
      | [\w.-]++:\S*+\s++[\w.-]++[$%]\s+                  # MacBook:dir user$
      | (?:PS\s+)?[A-Za-z]:\\[^>]*>\s*                    # PS C:\x> , C:\Users\x>
      | (?:bash|sh|zsh)-[\d.]+[$#]\s+                     # bash-5.1$
      | /[^\s$#%>]*\s?[#$]\s+                             # /app # (busybox sh)
      | ~[^\s$#%]*\s?[$%]\s+                              # ~/dir $
      | \u279c\s+\S+(?:\s+git:\([^)]*\))?(?:\s+\u2717)?\s+   # oh-my-zsh arrow
      | \w+=[#>]\s*                                       # psql demo=#
      | [$%]\s+
      | \#\s+(?=(?:"""
    + _COMMANDS
    + r""")(?:\s|$))
    )""",
    re.X,
)
_DOCKER_INSTRUCTIONS = (
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
    "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
)
_DOCKER_RE = re.compile(rf"^\s*({'|'.join(_DOCKER_INSTRUCTIONS)})\s+(\S.*)$")
_FROM_RE = re.compile(r"^\s*FROM\s+\S+(\s+[Aa][Ss]\s+\S+)?\s*$")
_PY_STRONG_RE = re.compile(
    r"^\s*(?:from\s+[\w.]+\s+import\s+\S|import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+)*\s*$"
    r"|(?:async\s+)?def\s+\w+\s*\(.*\)\s*(?:->.*)?:\s*$|class\s+\w+\s*(?:\(.*\))?\s*:\s*$"
    r"|@[\w.]+(?:\(.*\))?\s*$|if\s+__name__\s*==)"
)
_PY_STRONG_LINE_RE = re.compile(_PY_STRONG_RE.pattern, re.M)
_PY_RE = re.compile(
    r"^\s*(?:return\b|(?:if|elif|while|for|with)\s.+:\s*$|(?:else|try|finally)\s*:\s*$"
    r"|except\b.*:\s*$|(?:raise|yield|assert|del)\s|(?:pass|break|continue)\s*$"
    r"|[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*(?::\s*[\w\[\], .|]+)?\s*[-+*/]?=\s*[^=\s]"
    r"|[A-Za-z_][\w.]*\(.*\)\s*$)"
)
_SQL_RE = re.compile(
    r"^\s*(?:SELECT\s+\S|INSERT\s+INTO\s|CREATE\s+(?:TABLE|DATABASE|INDEX|USER|ROLE)\s"
    r"|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|DROP\s+(?:TABLE|DATABASE)\s|ALTER\s+TABLE\s"
    r"|\\[a-z+]{1,4}\s*$)",
    re.I,
)
_OUTPUT_RE = re.compile(
    r"^\s*(?:CONTAINER ID\s|REPOSITORY\s+TAG|NAME\s+IMAGE\s|IMAGE ID\s|NETWORK ID\s|DRIVER\s+VOLUME"
    r"|Unable to find image|Status: (?:Downloaded|Image is up)|Digest: sha256:|\w+: Pull"
    r"|[\w.-]+: Pulling from|Hello from Docker!|(?:INFO|WARNING|ERROR|DEBUG|CRITICAL):\s"
    r"|WARN\[\d+\]|\[\+\]\s+\w+|=>\s|#\d+\s\[|Step \d+/\d+ :|--->\s|Successfully (?:built|tagged)"
    r"|Sending build context|[\u2714\u2713\u2718]\s|[\w.-]+\s+\|\s|-{3,}(?:\+-+)*\s*$"
    r"|\(\d+ rows?\)|psql \(\d|Type \"help\" for help|PostgreSQL \d+|Python \d+\.\d+[\d.]*\s*$"
    r"|Traceback \(most|\w+(?:Error|Exception):\s|File \".*\", line \d+|Linux \S+ \d+\.\d+"
    r"|[0-9a-f]{12}(?:\s{2,}\S|\s*$)|[0-9a-f]{64}\s*$|Attaching to|Network \S+\s+(?:Creat|Remov)"
    r"|Container \S+\s+(?:Creat|Start|Stop|Remov|Runn|Recreat)|Deleted: sha256|Untagged: "
    r"|Total reclaimed space|(?:Creat|Start|Stopp|Remov|Recreat)ing \S+ \.\.\."
    r"|HTTP/\d(?:\.\d)? \d{3}|\{.*\}%?\s*$|bin\s+dev\s+etc\s"
    r"|\S+(?:\s{3,}|\t\s*)\S+(?:\s{3,}|\t\s*)\S+)"
)
_TREE_RE = re.compile(r"^\s*(?:\|--|\+--|`--)")
_YAML_KEY_RE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w.-]*|\"[^\"]+\"):(?:\s+(.*))?$")
_YAML_ITEM_RE = re.compile(r"^\s*-\s+(?:\"[^\"]*\"|'[^']*'|[^\s\"']+)\s*$")
_BRACKET_RE = re.compile(r"^\s*(?:[\[\]{}()],?|\"[^\"]+\"\s*:\s*.+)\s*$")
_FILE_RE = re.compile(r"^\s*[\w.-]+(?:/|\.\w{1,5})?\s*$")
_COMMENT_RE = re.compile(r"^\s*(?:#(?!#)|//|--\s|(?:TODO|FIXME)\b)")
_MARKDOWN_RE = re.compile(
    r"^\s*(?:#{2,}\s|[*+\u2022]\s|\d+[.)]\s|!\[|<[a-zA-Z/!]|\||={3,}\s*$|\*\*|\[[^\]]*\]\()"
)
_INLINE_COMMENT_RE = re.compile(r"(?<=\S)\s+#\s.*$")
_ENV_RE = re.compile(r"^\s*(?:export\s+)?[A-Z][A-Z0-9_]*=\S*\s*$")
_DASHES_RE = re.compile(r"^\s*-{3,}\s*$")
_SERVICES_RE = re.compile(r"^\s*services\s*:\s*(?:#.*)?$", re.M)
# A sentence starts with a capitalised word; output lines that do are listed (speed only).
_SENTENCE_RE = re.compile(
    r"^\s*(?:-\s+)?(?:([A-Z\u00c0-\u00dd][a-z\u00e0-\u00ff]+)[\s,]|[A-Z]['\u2019]\w)"
)
_OUTPUT_WORDS = frozenset(
    re.split(
        r"\s+",
        "Unable Status Digest Hello Step Successfully Sending Traceback File Linux Attaching "
        "Network Container Deleted Untagged Total Creating Starting Stopping Removing Recreating "
        "Python Type Started Waiting Application Uvicorn Shutting Finished",
    )
)
_BUILDKIT_RE = re.compile(r"^\s*#\d+\s")
# Words that may start a line of code followed by another plain word (upper-cased).
_CODE_WORDS = frozenset(
    re.split(
        r"\s+",
        "FROM IMPORT DEF CLASS ASYNC AWAIT RETURN IF ELIF WHILE FOR WITH RAISE YIELD ASSERT DEL "
        "PASS BREAK CONTINUE GLOBAL NONLOCAL LAMBDA SELECT INSERT CREATE UPDATE DELETE DROP ALTER",
    )
) | {word.upper() for word in _OUTPUT_WORDS} | set(_DOCKER_INSTRUCTIONS)
_TREE_CHARS = ("\u251c", "\u2514", "\u2502")
_CAPITALISED_RE = re.compile(r"[A-Z][a-z]")
_QUOTE_RE = re.compile(r"^\s*(?:>\s?)+")
_EMPH_RE = re.compile(r"^(\*{1,2}|_)(\S.*?\S|\S)\1\s*$")
_QUOTED_RE = re.compile(r"\"[^\"]*\"|'[^'\s][^']*'|`[^`]*`|\u00ab[^\u00bb]*\u00bb")
_QUOTES = ("'", '"', "`", "\u00ab")
_ELISION_RE = re.compile(r"(?:^|\s)(?:[cdjlmnst]|qu)['\u2019]\w", re.I)
_STOPWORDS = frozenset(
    re.split(
        r"\s+",
        "le la les un une des du de et est sont que qui pour dans avec sur ce cette ces on il elle "
        "nous vous permet affiche montre mais donc ou car the is are and of which that this shows "
        "lists a au aux ne pas se",
    )
)
_HINTS = {
    CodeKind.DOCKERFILE: {"dockerfile", "docker"},
    CodeKind.COMPOSE: {"compose", "docker-compose"},
    CodeKind.YAML: {"yaml", "yml"},
    CodeKind.PYTHON: {"python", "py", "python3"},
    CodeKind.SHELL: {"bash", "sh", "shell", "zsh", "powershell", "ps", "cmd", "bat", "ps1"},
    CodeKind.CONSOLE: {"console", "terminal", "terminaloutput", "output", "shell-session",
                       "log", "exec"},
    CodeKind.SQL: {"sql", "psql", "postgresql", "pgsql"},
    CodeKind.JSON: {"json", "jsonc"},
    CodeKind.TREE: {"tree"},
}
_SINGLE_LINE_COMMANDS = ("docker", "docker-compose", "curl")
_MAX_BLANKS = 3


def strip_prompt(line: str) -> str:
    """Return the command typed after a shell prompt, or ``line`` unchanged without one."""
    match = _PROMPT_RE.match(line.lstrip())
    if match is None or match.end() == 0:
        return line
    return line.lstrip()[match.end():]


def _prose(text: str, allowed: int = 0, colon: bool = True) -> bool:
    """Whether the words of ``text`` read like a French/English sentence.

    French typography puts a space before ``:`` ("docker ps : liste ..."), which
    code almost never does outside strings; ``colon=False`` for Python dicts.
    """
    if ("'" in text or "\u2019" in text) and _ELISION_RE.search(text):
        return True
    if any(quote in text for quote in _QUOTES):
        text = _QUOTED_RE.sub(" ", text)
    if colon and (" : " in text or text.rstrip().endswith(" :")):
        return True
    words = [w.strip(".,;:!?()").lower() for w in text.split() if not w.startswith("-")]
    hits = sum(1 for w in words if w in _STOPWORDS or not w.isascii())
    return hits > allowed


def _command(line: str) -> tuple[bool, str]:
    """``(has_prompt, command)`` when the line is a typed shell command, else ``(False, "")``."""
    stripped = line.strip()
    cmd = strip_prompt(stripped).strip()
    match = _CMD_RE.match(cmd)
    if match is None:
        return cmd != stripped, ""
    rest = cmd[match.end():]
    if match.group(1) == "echo":
        rest = ""
    elif " echo " in rest:
        rest = rest.split(" echo ", 1)[0]
    if _prose(rest):
        return False, ""
    return cmd != stripped, cmd


def _table_like(line: str) -> bool:
    """Columns of command output (``NAME   IMAGE``, ``a | b``) rather than a sentence."""
    text = line.strip()
    return "   " in text or "\t" in text or " | " in text


def _check_command(line: str) -> str | None:
    """``shell``/``prompt`` for a typed command; a prompt marks console (output may follow)."""
    prompted, cmd = _command(line)
    if cmd:
        return "prompt" if prompted else "shell"
    if prompted:
        bare = strip_prompt(line).strip()
        if not bare or _SQL_RE.match(bare):
            return "prompt"  # an empty psql/shell prompt, or SQL typed at ``demo=#``
    return None


def _check_docker(line: str, match: re.Match[str]) -> str | None:
    """An instruction, unless its argument reads as a sentence ("USER : root est ...")."""
    ok = _FROM_RE.match(line) or not _prose(match.group(2), 1)
    return "docker" if ok else None


_QUESTION_KEY_RE = re.compile(r"^(?:q(?:uestion)?\s*)?\d{1,2}[.\-]?[a-h]$", re.IGNORECASE)
"""``Q2.c`` in ``Q2.c: Mettre à jour docker-compose.yml``: a question label, not a key."""


def _check_yaml(line: str, match: re.Match[str]) -> str | None:
    """A YAML key line; ``Observations:``, ``Note: le conteneur ...`` or ``Q2.c: …`` are
    prose labels."""
    key = match.group(1)
    ok = (not _CAPITALISED_RE.match(key) and not _QUESTION_KEY_RE.match(key)
          and not _prose(match.group(2) or "", 1))
    return "yaml" if ok else None


_UPPER = string.ascii_uppercase
_LETTERS = string.ascii_letters + "_"
_Check = Callable[[str, re.Match[str]], str | None]
# (family, first characters its lines can have, regex, check): the first check that answers
# wins, in this order. A check answers a family, or ``""`` for "certainly not code" (a
# comment). The first-character sets only save regex calls; the regexes decide.
_CHECKS: list[tuple[str, str, re.Pattern[str], _Check]] = [
    ("comment", "/-TF", _COMMENT_RE, lambda line, match: ""),
    ("env", _UPPER + "e", _ENV_RE, lambda line, match: "env"),
    ("docker", _UPPER, _DOCKER_RE, _check_docker),
    ("sql", "SIUDCAsiudca\\", _SQL_RE, lambda line, match: None if _prose(line, 1) else "sql"),
    ("out", "", _OUTPUT_RE, lambda line, match: "out"),
    ("pystrong", "fidca@", _PY_STRONG_RE, lambda line, match: "py"),
    ("yaml", _LETTERS + '-"', _YAML_KEY_RE, _check_yaml),
    ("item", "-", _YAML_ITEM_RE, lambda line, match: "item"),
    ("py", _LETTERS, _PY_RE,
     lambda line, match: None if _prose(line, 1, colon=False) else "py"),
    ("other", '[]{}()"', _BRACKET_RE, lambda line, match: "other"),
]
_CHECK_AT = {name: index for index, (name, *_) in reversed(list(enumerate(_CHECKS)))}
# First words that say where to start checking (the earlier checks cannot match them).
_START_AT = {
    **dict.fromkeys(_DOCKER_INSTRUCTIONS, _CHECK_AT["docker"]),
    **dict.fromkeys(("from", "import", "def", "async", "class"), _CHECK_AT["pystrong"]),
}
# ``key: value`` lines cannot be command output: skip the long output regex for them.
_KEY_LINE_RE = re.compile(
    r"\s*+(?!(?:INFO|WARNING|ERROR|DEBUG|CRITICAL|FATAL|TRACE|WARN|Status|Digest)\b)"
    r"(?![A-Za-z]*(?:Error|Exception):)(?:[A-Za-z_][\w.-]*+:(?:\s|$)(?!\s*Pull)|-\s)"
)


def _maybe_prompt(first: str, line: str) -> bool:
    """Whether the first word could be (part of) a shell or psql prompt."""
    return (
        first[0] in "($%#/~\u279c" or "@" in first or first == "PS" or first[1:3] == ":\\"
        or "=#" in first or "=>" in first or first.startswith(("bash-", "sh-", "zsh-"))
        or (":" in first and ("$" in line or "%" in line))
    )


def _family(line: str) -> str | None:
    """The family of a non-blank line (``docker``, ``py``, ``shell`` …) or None for non-code."""
    if (not line.isascii() and any(char in line for char in _TREE_CHARS)) or _TREE_RE.match(line):
        return "tree"
    if "#" in line:
        line = _INLINE_COMMENT_RE.sub("", line)
    words = line.split(None, 2)
    if not words:
        return None
    first = words[0]
    if first[0] == "#":
        if _BUILDKIT_RE.match(line):
            return "out"
        return _check_command(line) if strip_prompt(line) is not line else None
    if (first.isalpha() and first not in _COMMAND_WORDS and first.upper() not in _CODE_WORDS
            and (len(words) == 1 or words[1].isalpha()) and not _table_like(line)):
        return None  # words, not code: a sentence, a title (fast path for most prose)
    sentence = _SENTENCE_RE.match(line)
    if sentence and sentence.group(1) not in _OUTPUT_WORDS and not _table_like(line):
        return None
    if first in _COMMAND_WORDS or first.startswith("Get-") or _maybe_prompt(first, line):
        family = _check_command(line)
        if family is not None:
            return family
    key_line = _KEY_LINE_RE.match(line) is not None
    for name, starts, regex, check in _CHECKS[_START_AT.get(first, 0):]:
        if (starts and first[0] not in starts) or (key_line and name == "out"):
            continue
        match = regex.match(line)
        if match:
            family = check(line, match)
            if family is not None:
                return family or None
    return None


def _hint(info: str | None) -> CodeKind | None:
    """The kind a fence label suggests (``yml`` → YAML), used only to break ties."""
    label = (info or "").strip().split(maxsplit=1)[0].lower().lstrip(".{") if info else ""
    for kind, labels in _HINTS.items():
        if label in labels:
            return kind
    return None


def _python_parses(text: str) -> bool:
    """One ``ast.parse`` (huge texts skipped): valid Python with an import/def is Python."""
    if len(text) > 50_000:
        return False
    try:
        ast.parse(textwrap.dedent(text))
    except (SyntaxError, ValueError):
        return False
    return True


def _is_listing(lines: list[str]) -> bool:
    """A directory listing without drawing characters: ``api/`` then indented files."""
    return (
        len(lines) >= 2
        and all(_FILE_RE.match(line) for line in lines)
        and any(line.rstrip().endswith("/") for line in lines)
        and any(line[:1].isspace() for line in lines)
    )


def _compose_keys(lines: list[str]) -> int:
    """How many distinct compose service keys (``image``, ``ports`` …) the lines use."""
    keys = {match.group(1) for match in map(_YAML_KEY_RE.match, lines) if match}
    return len(keys & SERVICE_KEYS)


def _count_families(lines: list[str], families: list[str | None]) -> Counter[str]:
    """Count line families, following continuations (``\\``) and multi-line SQL statements."""
    counts: Counter[str] = Counter()
    continued = in_sql = False
    for line, family in zip(lines, families, strict=True):
        if in_sql:
            family = "sql"
        elif family is None and continued:
            family = "cont"
        elif family is None and _COMMENT_RE.match(line):
            family = "comment"
        counts[family or "none"] += 1
        continued = family != "comment" and line.endswith(("\\", "`", "^"))
        in_sql = family == "sql" and not line.endswith(";") and not line.lstrip().startswith("\\")
    return counts


def classify_code(text: str, info: str | None = None) -> CodeKind:
    """Decide what a block of code is from its lines; ``info`` (fence label) breaks ties."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return _classify(lines, None, _hint(info))


def _classify(lines: list[str], families: list[str | None] | None,
              hint: CodeKind | None) -> CodeKind:
    """``classify_code`` on non-blank lines, reusing their families when already known."""
    if not lines:
        return CodeKind.TEXT
    text = "\n".join(lines)
    if text.lstrip()[0] in "{[":
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            return CodeKind.CONSOLE if hint in (CodeKind.CONSOLE, CodeKind.SHELL) else CodeKind.JSON
    # Whole-text parses first: they settle the common cases without a look at each line.
    has_services = _SERVICES_RE.search(text) is not None
    if has_services and (is_compose_text(text) or rebuild_compose(text)):
        return CodeKind.COMPOSE
    if _PY_STRONG_LINE_RE.search(text) and _python_parses(text):
        return CodeKind.PYTHON
    if families is None:
        families = [_family(line) for line in lines]
    counts = _count_families(lines, families)
    total = len(lines) - counts["comment"]
    if counts["tree"] * 2 >= total or _is_listing(lines):
        return CodeKind.TREE
    commands = counts["shell"] + counts["prompt"]
    output = counts["out"] + counts["none"]
    if counts["prompt"] and output:
        return CodeKind.CONSOLE
    if has_services and counts["yaml"] and _compose_keys(lines) >= 2:
        return CodeKind.COMPOSE  # broken YAML that is still meant as a compose file
    py_strong = bool(counts["py"]) and any(_PY_STRONG_RE.match(line) for line in lines)
    has_from = bool(counts["docker"]) and any(_FROM_RE.match(line) for line in lines)
    scores: dict[CodeKind, int] = dict.fromkeys(
        (CodeKind.DOCKERFILE, CodeKind.PYTHON, CodeKind.SHELL, CodeKind.CONSOLE, CodeKind.SQL,
         CodeKind.YAML), 0)
    if has_from or counts["docker"] >= 2:
        scores[CodeKind.DOCKERFILE] = counts["docker"] + has_from
    if counts["py"] and (py_strong or counts["py"] >= 2):
        scores[CodeKind.PYTHON] = counts["py"] + py_strong
    if commands and output:
        scores[CodeKind.CONSOLE] = commands + output
    elif counts["out"]:
        scores[CodeKind.CONSOLE] = counts["out"]
    elif commands or counts["env"]:
        scores[CodeKind.SHELL] = commands + counts["env"] + counts["cont"]
    scores[CodeKind.SQL] = counts["sql"]
    yaml_lines = counts["yaml"] + counts["item"]
    if counts["yaml"] and yaml_lines * 2 >= total and isinstance(load_yaml(text), (dict, list)):
        scores[CodeKind.YAML] = yaml_lines
    best = max(scores.values())
    if best == 0 or best * 3 < total:
        return CodeKind.CONSOLE if hint is CodeKind.CONSOLE else CodeKind.TEXT
    tied = [kind for kind, score in scores.items() if score == best]
    return hint if hint is not None and hint in tied else tied[0]


@dataclass(frozen=True, slots=True)
class CodeRun:
    """A stretch of unfenced report lines that is code."""

    start: int
    """0-based index of the first line of the run in ``lines``."""
    end: int
    """0-based index of the last line (inclusive)."""
    kind: CodeKind


_GROUPS = {"docker": "docker", "py": "py", "yaml": "yaml", "item": "yaml", "shell": "cmd",
           "prompt": "cmd", "out": "cmd", "env": "cmd", "sql": "cmd", "tree": "tree"}


def _clean(line: str) -> str:
    """The line as code would read it: no ``>`` quote marker, no emphasis around it."""
    line = line.rstrip()
    if line.lstrip().startswith(">"):
        line = _QUOTE_RE.sub("", line)
    if line.startswith(("*", "_")):
        match = _EMPH_RE.match(line)
        return match.group(2) if match else line
    return line


def _soft(line: str) -> bool:
    """A short label-like line (a comment whose ``#`` was lost) that may sit inside code."""
    text = line.strip()
    return (
        len(text.split()) <= 8
        and not text.endswith((".", ":", "?", "!"))
        and not _MARKDOWN_RE.match(text)
    )


class _RunFinder:
    """One pass over the report lines; each line's family is computed once."""

    def __init__(self, lines: Sequence[str], skip: Collection[int]) -> None:
        self.skipped = skip if isinstance(skip, (set, frozenset)) else set(skip)
        self.cleaned = [_clean(line) for line in lines]
        self.raw: list[str | None] = [None] * len(lines)
        """``_family`` of each line (None for non-code and for lines never looked at)."""
        self.marks: list[str | None] = [None] * len(lines)
        """The family, or ``comment``/``soft`` for lines tolerated inside a run."""
        self.runs: list[CodeRun] = []

    def family(self, i: int) -> str | None:
        """``_family`` of line ``i``, None for lines that markdown makes prose (lists…)."""
        line = self.cleaned[i]
        if i in self.skipped or not line.strip() or _DASHES_RE.match(line) \
                or _MARKDOWN_RE.match(line):
            return None
        if self.raw[i] is None:
            self.raw[i] = _family(line) or ""
        return self.raw[i] or None

    def scan(self) -> list[CodeRun]:
        """Grow runs over code lines, tolerating blanks, comments and label lines inside."""
        start = last = -1
        blanks = 0
        continued = False
        cleaned, marks = self.cleaned, self.marks
        for i, line in enumerate(cleaned):
            if i in self.skipped or (not line.strip() and blanks >= _MAX_BLANKS):
                if start >= 0:
                    self.finish(start, last)
                start, continued = -1, False
                blanks += not line.strip()
                continue
            if not line.strip():
                blanks += 1
                continued = False
                continue
            blanks = 0
            family = self.family(i)
            if family is None and continued:
                family = marks[last]
            if family is None and start >= 0:
                if _COMMENT_RE.match(line) or _DASHES_RE.match(line):
                    marks[i] = "comment"
                    continue
                if _soft(line) and i + 1 < len(cleaned) and (
                        self.family(i + 1) or _DASHES_RE.match(cleaned[i + 1])):
                    marks[i] = "soft"
                    continue
            marks[i] = family
            if family is None:
                if start >= 0:
                    self.finish(start, last)
                start, continued = -1, False
                continue
            if start < 0:
                start = i
            last = i
            continued = line.endswith(("\\", "`", "^"))
        if start >= 0:
            self.finish(start, last)
        return self.runs

    def finish(self, start: int, end: int) -> None:
        """Split a run where the code changes family, then keep the pieces that are code."""
        marks = self.marks
        pieces: list[tuple[int, int]] = []
        group = None
        piece_start = last = start
        for i in range(start, end + 1):
            new = _GROUPS.get(marks[i] or "")
            if marks[i] in (None, "comment", "soft"):
                continue
            if group and new and new != group:
                pieces.append((piece_start, last))
                piece_start = i
            group = new or group
            last = i
        pieces.append((piece_start, last))
        for first, final in pieces:
            self.keep(first, final)

    def keep(self, first: int, final: int) -> None:
        """Record a piece as a run when it is code: two code lines, or one typed command."""
        marks = self.marks
        code = [i for i in range(first, final + 1) if marks[i] not in (None, "comment", "soft")]
        if len(code) == 1:
            prompted, cmd = _command(self.cleaned[first])
            words = cmd.split(maxsplit=1)
            if prompted or (words and words[0] in _SINGLE_LINE_COMMANDS):
                self.runs.append(CodeRun(first, final, CodeKind.SHELL))
            return
        if not code or all(marks[i] in ("item", "other") for i in code):
            return
        kept = [i for i in range(first, final + 1)
                if marks[i] != "soft" and self.cleaned[i].strip()]
        kind = _classify([self.cleaned[i] for i in kept], [self.raw[i] or None for i in kept],
                         None)
        if kind is not CodeKind.TEXT:
            self.runs.append(CodeRun(first, final, kind))


def find_code_runs(lines: Sequence[str], skip: Collection[int] = ()) -> list[CodeRun]:
    """Find code pasted without a fence among ordinary markdown lines.

    ``skip`` holds indexes already known to be code blocks (or to ignore); they
    end any run. Comment, ``TODO:`` and short label lines are kept inside a run
    when code follows them, never at its edges. Up to three blank lines may
    separate lines of one run (flattened files have one after every line).
    """
    return _RunFinder(lines, skip).scan()
