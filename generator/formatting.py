"""Format generated Python in black's style with ruff's formatter, many sources per process.

Black took ~1.5 s of the 1.7 s a 30-step bundle cost; ruff's formatter, written to give
black's output, formats the same 27 sources in one process in ~0.05 s. The settings are
pinned and config files ignored (`--isolated`), so neither the user's ruff config nor a
new default changes the exported code; tests/test_formatting.py proves black leaves
what it writes unchanged.

The two differ around long literals (a 60-character column name: black splits
`df[[...]] = df[[...]].clip(...)` its own way, even where every line fits), and they may
measure a wide character (CJK, emoji) differently. User text reaches the code only as
literals, so a source whose ruff output has a line of code too long, a long literal
standing alone on a line that is not a template's own, or a character not surely one
column wide, is formatted by black instead (fits_both): black's time is paid only for
such sources, which the templates with ordinary names never give.
"""

from __future__ import annotations

import functools
import re
import subprocess
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from pathlib import Path

# Black's default line length: what a reader of the export expects.
LINE_LENGTH = 88
# The Python the product runs on (pyproject's requires-python); the export pins it too.
TARGET_VERSION = "py311"
# Every setting of `ruff format` that shapes its output, at black's choice.
SETTINGS = {
    "quote-style": "'double'",
    "indent-style": "'space'",
    "line-ending": "'lf'",
    "skip-magic-trailing-comma": "false",
    "docstring-code-format": "false",
    "preview": "false",
}
# Formatted sources kept by their text: the runtime's train.py and preprocessing.py are
# often formatted again for the export, and the UI's code panels show them again.
CACHE_SIZE = 256

_cache: OrderedDict[str, str] = OrderedDict()
_cache_lock = threading.Lock()


class FormattingError(RuntimeError):
    """Generated code ruff could not format: a template rendered invalid Python."""


def ruff_command() -> list[str]:
    from ruff.__main__ import find_ruff_bin  # the ruff wheel's own binary

    command = [str(find_ruff_bin()), "format", "--isolated", "--no-cache", "--quiet"]
    command += ["--line-length", str(LINE_LENGTH), "--target-version", TARGET_VERSION]
    for name, value in SETTINGS.items():
        command += ["--config", f"format.{name}={value}"]
    return command


def format_sources(sources: list[str]) -> list[str]:
    """The sources formatted, in order; those not formatted before in one ruff run."""
    with _cache_lock:
        # Taken out now: adding this call's results below may push them out of the cache.
        known = {source: _cache[source] for source in sources if source in _cache}
        for source in known:
            _cache.move_to_end(source)
    missing = [source for source in dict.fromkeys(sources) if source not in known]
    formatted = dict(zip(missing, ruff_format(missing), strict=True)) if missing else {}
    for source, output in formatted.items():
        if not fits_both(output):
            formatted[source] = black_format(source)
    with _cache_lock:
        _cache.update(formatted)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    known.update(formatted)
    return [known[source] for source in sources]


def format_code(source: str) -> str:
    """One generated source formatted (see format_sources)."""
    return format_sources([source])[0]


# A plain string literal alone on its line (maybe with a comma): ruff put it there because
# it did not fit beside its brackets. A long one from user text (not a template's own) and
# the two formatters split the expression around it differently, even where lines fit.
LONG_LITERAL = 30
LONE_LONG_LITERAL = re.compile(
    rf"""^[ ]*(?:"((?:[^"\\\n]|\\.){{{LONG_LITERAL},}})"|'((?:[^'\\\n]|\\.){{{LONG_LITERAL},}})'),?$""",
    re.MULTILINE,
)


@functools.cache
def template_text() -> str:
    """Every template's text: long lines and literals found in it are the templates' own
    (docstrings, comments, messages), the same in every bundle and proven by the tests."""
    from generator.render import TEMPLATES_DIR

    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(TEMPLATES_DIR.rglob("*.j2")))


@functools.cache
def templated_literals() -> re.Pattern:
    """The templates' lone literals with a Jinja value inside ("drop in {{ score }} when
    ..."), any value standing for the `{{ }}`."""
    patterns = []
    for line in template_text().splitlines():
        literal = re.fullmatch(r'\s*"([^"]*\{\{[^"]*)",?', line)
        if literal:
            pieces = re.split(r"\{\{.*?\}\}", literal[1])
            patterns.append('[^"]*'.join(map(re.escape, pieces)))
    return re.compile("|".join(patterns) or "(?!)")


def fits_both(output: str) -> bool:
    """Whether ruff's output is surely black's too: no line of code is too long and no
    long literal stands alone on a line but the templates' own, and every character is
    one column wide to both (their tables of wide characters differ)."""
    if not all(_narrow(char) for char in output if not char.isascii()):
        return False
    templates = template_text()
    for match in LONE_LONG_LITERAL.finditer(output):
        literal = match[1] or match[2]
        if literal not in templates and not templated_literals().fullmatch(literal):
            return False
    in_docstring = False
    for line in output.splitlines():
        code = line.strip()
        docstring = in_docstring or code.startswith('"""')
        if code.count('"""') % 2:
            in_docstring = not in_docstring
        long = len(line) > LINE_LENGTH
        if long and not docstring and not code.startswith("#") and code not in templates:
            return False
    return True


def _narrow(char: str) -> bool:
    code = ord(char)
    # Below U+1100 (Latin, Greek, Cyrillic...) and the dashes and quotes of U+2010-2027
    # (the templates' "–"): one column, unless combining or invisible.
    if not (code < 0x1100 or 0x2010 <= code <= 0x2027):
        return False
    return not unicodedata.combining(char) and unicodedata.category(char)[0] not in "CZM"


def black_format(source: str) -> str:
    """Black itself, for the sources ruff's output may differ on (see the module)."""
    import black  # ~0.3 s to import: only when such a source is first formatted

    return black.format_str(source, mode=black.Mode(line_length=LINE_LENGTH))


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def ruff_format(sources: list[str]) -> list[str]:
    """The sources formatted by one `ruff format` process, with no cache."""
    with tempfile.TemporaryDirectory(prefix="playground-format-") as folder:
        paths = [Path(folder) / f"source_{i}.py" for i in range(len(sources))]
        for path, source in zip(paths, sources, strict=True):
            path.write_text(source, encoding="utf-8")
        done = subprocess.run(
            [*ruff_command(), *map(str, paths)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise FormattingError(
                "ruff could not format the generated code, so a template rendered invalid "
                f"Python; please report it with your spec.\n{done.stderr.strip()}"
            )
        return [path.read_text(encoding="utf-8") for path in paths]
