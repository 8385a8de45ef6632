"""MkDocs hooks that keep text written for other readers from rendering as stray punctuation.

- The package's docstrings are written for ``help()`` and Sphinx-like readers, with ``:class:`X``` roles
  and ``::`` literal-block markers. mkdocstrings renders them as Markdown, where both show up as is; the
  page hook turns them into what they mean on a web page.
- The options table is ``cors_wsgi.options.markdown_table()`` verbatim (tests/test_docs.py holds the page
  to it), and its one-line docs are plain text: ``https://*.example.com, http://localhost:*`` would render
  as emphasis. Between the ``options-table`` markers, a ``*`` outside a code span is escaped.
"""

from __future__ import annotations

import re
from typing import Any

# :class:`~cors_wsgi.ConfigError` is rendered by Markdown as :class:<code>~cors_wsgi.ConfigError</code>
_ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc|obj):<code>(~?)([^<]+)</code>")
_LITERAL_MARKER_ALONE = re.compile(r"<p>::</p>\s*")
_LITERAL_MARKER_END = re.compile(r"::</p>")


_OPTIONS_TABLE = re.compile(r"(<!-- options-table: start -->\n)(.*?)(<!-- options-table: end -->)", re.S)
_CODE_SPAN = re.compile(r"(`[^`]*`)")


def _escape_stars(table: str) -> str:
    parts = _CODE_SPAN.split(table)  # odd indexes are code spans, left alone
    return "".join(part if index % 2 else part.replace("*", "\\*") for index, part in enumerate(parts))


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return _OPTIONS_TABLE.sub(lambda m: m.group(1) + _escape_stars(m.group(2)) + m.group(3), markdown)


def _role(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if short else target}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    html = _ROLE.sub(_role, html)
    html = _LITERAL_MARKER_ALONE.sub("", html)
    return _LITERAL_MARKER_END.sub(":</p>", html)
