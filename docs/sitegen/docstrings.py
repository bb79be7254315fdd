"""Docstrings are written for ``help()`` in plain words with reST markup for code (``x``) and
cross-references (:func:`f`). Two plain-text habits of the house style mean something else to
reST: ``*N`` in a shape, ``(B, C, *N)``, opens emphasis, and ``|x|`` for an absolute value is a
substitution. :func:`escape` escapes just those, outside literals, for autodoc.
"""
from __future__ import annotations

import re

_LITERAL = re.compile(r"(``.*?``)")
_STAR = re.compile(r"(?<=[(\[, ])\*(?=\w+(?:[^\w*]|$))")  # (B, C, *N), [*sizes]; not *emphasis*
_BARS = re.compile(r"(?<![\w|`])\|([^|\s][^|]*?)\|(?![\w|_])")  # |x|, |dL/dθ|, |update|


def escape(line: str) -> str:
    """``line`` with shape stars and absolute-value bars escaped, literals untouched."""
    parts = _LITERAL.split(line)
    for i in range(0, len(parts), 2):   # even parts are outside ``literals``
        parts[i] = _BARS.sub(r"\\|\1\\|", _STAR.sub(r"\\*", parts[i]))
    return "".join(parts)


def process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    """Sphinx's ``autodoc-process-docstring`` hook: :func:`escape` every line in place."""
    lines[:] = [escape(line) for line in lines]
