"""The one exception type for user mistakes, and the problem record it carries.

Every mistake a user can make in an input (a scenario file, an experiment file, a command-line argument, a
world data file) is reported as a :class:`UserInputError`. The command line prints its message and exits
with code 2; it never shows a traceback for one. Validation collects every :class:`Problem` it finds before
raising, so that a user fixes a file in one pass instead of one error at a time.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MAX_VALUE_CHARS = 80
"""Longest value shown in a problem line; longer values are cut and end with an ellipsis."""


def shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Cut a text to at most ``limit`` characters, marking the cut with an ellipsis.

    Args:
        text: Text to shorten.
        limit: Largest length of the result.

    Returns:
        ``text`` itself when short enough, else its first ``limit - 1`` characters and ``…``.
    """
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str) -> str:
    r"""Escape the characters that would break a problem line (line breaks and other control characters).

    Key paths and values come from the user's file, where a quoted key may hold a line break; each problem must stay
    on one line.

    Args:
        text: Text to show.

    Returns:
        ``text`` with control, line- and paragraph-separator characters written as escapes (``\r``, ``\u2028``).
    """
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") else c
                   for c in text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located precisely enough to fix it.

    Attributes:
        file: The input as the user named it (a path stays relative if it was given relative, a shipped
            scenario is named by its name).
        key: Dotted key path inside the file, e.g. ``levers.evaluation.weights``; ``-`` for the whole file.
        value: What was found: the offending value's ``repr`` (at most 80 characters) or, for file-level
            problems, a short description in parentheses such as ``(no such file)``.
        allowed: What would be accepted, e.g. ``a number from 0 to 1`` or a list of known keys.
    """

    file: str
    key: str
    value: str
    allowed: str

    @classmethod
    def of(cls, file: str, key: str, value: object, allowed: str) -> Problem:
        """Build a problem from an offending Python value, shown as its shortened ``repr``.

        Args:
            file: The input as the user named it.
            key: Dotted key path, or ``-`` for the whole file.
            value: The offending value (any object; its ``repr`` is shown).
            allowed: What would be accepted.

        Returns:
            The problem.
        """
        return cls(file=file, key=key, value=shorten(repr(value)), allowed=allowed)

    def __str__(self) -> str:
        return (f"{one_line(self.file)}: {one_line(self.key)} = {one_line(self.value)} — allowed: "
                f"{one_line(self.allowed)}")


class UserInputError(Exception):
    """A mistake in something the user supplied; its message says what and where, one problem per line.

    Raise it with a list of :class:`Problem` records (preferred: each names file, key path, value and what is
    allowed) or with a plain message when the mistake does not fit that shape.

    Attributes:
        problems: The problems found (empty when the error was raised with a plain message).
    """

    def __init__(self, problems: str | Problem | Iterable[Problem]) -> None:
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            message = problems
        else:
            self.problems = [problems] if isinstance(problems, Problem) else list(problems)
            message = "\n".join(str(p) for p in self.problems)
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
