"""A parser for the subset of Solr query syntax that CKAN and its clients send to ``package_search``.

CKAN builds filter queries as Solr strings (``+capacity:public organization:"bapenda"
+state:(active OR draft) -dataset_type:harvest metadata_modified:[2025-01-01T00:00:00Z TO NOW]``)
and the UI passes the search box's text through as ``q``. To answer those from PostgreSQL the
strings are parsed into a small tree here and compiled to SQL in :mod:`.sql`.

Two modes mirror what Solr does for CKAN:

* :func:`parse_lucene` – the standard query parser, used for ``fq``/``fq_list`` and for a ``q``
  that contains a colon (CKAN switches Solr to the standard parser in that case). Syntax errors
  raise :class:`QuerySyntaxError`, as Solr answers such a query with an error.
* :func:`parse_dismax` – the lenient "dismax" parser CKAN uses for plain search-box text: only
  quotes and leading ``+``/``-`` mean something, everything else is a word, and it never fails.

This module is pure Python (no CKAN, no database) so that it can be unit-tested on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "And",
    "Exists",
    "MatchAll",
    "Node",
    "Not",
    "Or",
    "QuerySyntaxError",
    "Range",
    "Term",
    "Text",
    "parse_dismax",
    "parse_lucene",
]


class QuerySyntaxError(ValueError):
    """The query string is not valid Solr syntax (unbalanced quotes or brackets, …)."""


class Node:
    """Base class of the query tree."""


@dataclass(frozen=True)
class MatchAll(Node):
    """``*:*`` or an empty query."""


@dataclass(frozen=True)
class Text(Node):
    """Free text searched in the full-text document (``df=text``); ``phrase`` for quoted text."""

    value: str
    phrase: bool = False


@dataclass(frozen=True)
class Term(Node):
    """``field:value``. ``wildcard`` when the value holds unescaped ``*``/``?`` (``name:pajak*``)."""

    field: str
    value: str
    wildcard: bool = False


@dataclass(frozen=True)
class Exists(Node):
    """``field:*`` or ``field:[* TO *]`` – the field has any value."""

    field: str


@dataclass(frozen=True)
class Range(Node):
    """``field:[low TO high]`` (inclusive) or ``{low TO high}`` (exclusive); ``None`` is ``*``."""

    field: str
    low: str | None
    high: str | None
    include_low: bool = True
    include_high: bool = True


@dataclass(frozen=True)
class And(Node):
    children: tuple[Node, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Or(Node):
    children: tuple[Node, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Not(Node):
    child: Node


# Solr field names in CKAN: core fields, ``extras_*``, ``res_extras_*``, ``vocab_*``, scheming fields.
_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_SPECIAL = set('()[]{}"')
_OPERATORS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT"}


@dataclass
class _Token:
    kind: str  # WORD, PHRASE, LPAREN, RPAREN, RANGE, OP, PLUS, MINUS, FIELD
    value: str = ""
    wildcard: bool = False
    extra: tuple = ()


def _unescape(raw: str) -> tuple[str, bool]:
    """Drop backslash escapes; report whether an unescaped ``*`` or ``?`` remains."""
    out: list[str] = []
    wildcard = False
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            out.append(raw[i + 1])
            i += 2
            continue
        if ch in "*?":
            wildcard = True
        out.append(ch)
        i += 1
    return "".join(out), wildcard


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _read_phrase(self) -> str:
        # self.text[self.pos] == '"'
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if ch == '"':
                self.pos += 1
                return "".join(out)
            out.append(ch)
            self.pos += 1
        raise QuerySyntaxError("tanda kutip tidak ditutup")

    def _read_bare(self) -> str:
        start = self.pos
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                self.pos += 2
                continue
            if ch.isspace() or ch in _SPECIAL:
                break
            self.pos += 1
        return self.text[start:self.pos]

    def _read_range(self) -> _Token:
        opener = self.text[self.pos]
        end = self.pos + 1
        while end < len(self.text) and self.text[end] not in "]}":
            end += 1
        if end >= len(self.text):
            raise QuerySyntaxError("rentang [..] tidak ditutup")
        body = self.text[self.pos + 1:end]
        parts = re.split(r"\s+TO\s+", body.strip())
        if len(parts) != 2:
            raise QuerySyntaxError(f"rentang tidak valid: {opener}{body}{self.text[end]}")
        low, high = (p.strip().strip('"') for p in parts)
        # Solr allows mixed brackets ([a TO b} is inclusive below, exclusive above).
        include_high = self.text[end] == "]"
        self.pos = end + 1
        return _Token(
            "RANGE",
            extra=(None if low == "*" else low, None if high == "*" else high, opener == "[", include_high),
        )

    def tokens(self) -> list[_Token]:
        out: list[_Token] = []
        while True:
            self._skip_ws()
            if self.pos >= len(self.text):
                return out
            ch = self.text[self.pos]
            if ch == "(":
                out.append(_Token("LPAREN"))
                self.pos += 1
            elif ch == ")":
                out.append(_Token("RPAREN"))
                self.pos += 1
            elif ch == '"':
                out.append(_Token("PHRASE", self._read_phrase()))
            elif ch in "[{":
                out.append(self._read_range())
            elif ch in "+-!" and self.pos + 1 < len(self.text) and not self.text[self.pos + 1].isspace():
                out.append(_Token({"+": "PLUS", "-": "MINUS", "!": "MINUS"}[ch]))
                self.pos += 1
            elif ch in "]}":
                raise QuerySyntaxError(f"'{ch}' tanpa pasangan")
            else:
                word = self._read_bare()
                if not word:  # a lone +, - or ! followed by a space: Solr ignores it
                    self.pos += 1
                    continue
                if word in _OPERATORS:
                    out.append(_Token("OP", _OPERATORS[word]))
                    continue
                match = _FIELD_RE.match(word)
                if match and word[match.end():match.end() + 1] == ":" and not _escaped_colon(word, match.end()):
                    fieldname = word[:match.end()]
                    rest = word[match.end() + 1:]
                    out.append(_Token("FIELD", fieldname))
                    if rest:
                        value, wildcard = _unescape(rest)
                        out.append(_Token("WORD", value, wildcard))
                    # else: the value follows after optional whitespace (``tags: "x"``)
                    continue
                value, wildcard = _unescape(word)
                out.append(_Token("WORD", value, wildcard))


def _escaped_colon(word: str, index: int) -> bool:
    return index > 0 and word[index - 1] == "\\"


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.tokens:
            return MatchAll()
        node = self.parse_or()
        if self.peek() is not None:
            raise QuerySyntaxError("')' tanpa pasangan")
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "OP" and tok.value == "OR":
            self.take()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children: list[Node] = []
        while (tok := self.peek()) is not None:
            if tok.kind == "RPAREN" or (tok.kind == "OP" and tok.value == "OR"):
                break
            if tok.kind == "OP" and tok.value == "AND":
                self.take()
                continue
            children.append(self.parse_unary())
        if not children:
            raise QuerySyntaxError("ekspresi kosong")
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        tok = self.peek()
        assert tok is not None
        if tok.kind == "PLUS":
            self.take()
            return self.parse_unary()
        if tok.kind == "MINUS" or (tok.kind == "OP" and tok.value == "NOT"):
            self.take()
            if self.peek() is None:
                raise QuerySyntaxError("NOT tanpa operand")
            return Not(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.take()
        if tok.kind == "LPAREN":
            node = self.parse_or()
            if (close := self.peek()) is None or close.kind != "RPAREN":
                raise QuerySyntaxError("'(' tidak ditutup")
            self.take()
            return node
        if tok.kind == "FIELD":
            return self.parse_field_value(tok.value)
        if tok.kind == "PHRASE":
            return Text(tok.value, phrase=True) if tok.value.strip() else MatchAll()
        if tok.kind == "WORD":
            if tok.value in ("*", "*:*"):
                return MatchAll()
            return Text(tok.value)
        if tok.kind == "RANGE":
            raise QuerySyntaxError("rentang tanpa nama field")
        raise QuerySyntaxError(f"token tak terduga: {tok.kind} {tok.value}")

    def parse_field_value(self, fieldname: str) -> Node:
        tok = self.peek()
        if tok is None:
            raise QuerySyntaxError(f"nilai untuk '{fieldname}' kosong")
        self.take()
        if tok.kind == "WORD":
            if fieldname == "*" or tok.value == "*":
                return Exists(fieldname)
            return Term(fieldname, tok.value, tok.wildcard)
        if tok.kind == "PHRASE":
            return Term(fieldname, tok.value)
        if tok.kind == "RANGE":
            low, high, include_low, include_high = tok.extra
            if low is None and high is None:
                return Exists(fieldname)
            return Range(fieldname, low, high, include_low, include_high)
        if tok.kind == "LPAREN":
            node = self.parse_group_values(fieldname)
            if (close := self.peek()) is None or close.kind != "RPAREN":
                raise QuerySyntaxError("'(' tidak ditutup")
            self.take()
            return node
        raise QuerySyntaxError(f"nilai untuk '{fieldname}' tidak valid")

    def parse_group_values(self, fieldname: str) -> Node:
        """``field:(a OR "b c" -d)``: the same grammar with every bare value bound to ``field``."""
        ors: list[Node] = []
        ands: list[Node] = []
        negate = False
        while (tok := self.peek()) is not None and tok.kind != "RPAREN":
            self.take()
            if tok.kind == "OP" and tok.value == "OR":
                if not ands:
                    raise QuerySyntaxError("OR tanpa operand")
                ors.append(ands[0] if len(ands) == 1 else And(tuple(ands)))
                ands = []
                continue
            if tok.kind == "OP" and tok.value == "AND" or tok.kind == "PLUS":
                continue
            if tok.kind == "MINUS" or (tok.kind == "OP" and tok.value == "NOT"):
                negate = True
                continue
            if tok.kind in ("WORD", "PHRASE"):
                node: Node = Term(fieldname, tok.value, tok.wildcard if tok.kind == "WORD" else False)
            elif tok.kind == "RANGE":
                low, high, include_low, include_high = tok.extra
                node = Range(fieldname, low, high, include_low, include_high)
            else:
                raise QuerySyntaxError(f"nilai untuk '{fieldname}' tidak valid")
            ands.append(Not(node) if negate else node)
            negate = False
        if ands:
            ors.append(ands[0] if len(ands) == 1 else And(tuple(ands)))
        if not ors:
            raise QuerySyntaxError(f"nilai untuk '{fieldname}' kosong")
        return ors[0] if len(ors) == 1 else Or(tuple(ors))


def parse_lucene(text: str | None) -> Node:
    """Parse Solr standard-parser syntax; raise :class:`QuerySyntaxError` when it is invalid."""
    text = (text or "").strip()
    if not text or text in ("*:*", "*", '""', "''"):
        return MatchAll()
    return _Parser(_Lexer(text).tokens()).parse()


@dataclass(frozen=True)
class DismaxQuery:
    """Search-box text: words to match (subject to minimum-should-match), required and excluded."""

    optional: tuple[Text, ...]
    required: tuple[Text, ...]
    excluded: tuple[Text, ...]


_DISMAX_RE = re.compile(r'([+-]?)"([^"]*)"|([+-]?)(\S+)')


def parse_dismax(text: str | None) -> DismaxQuery:
    """Parse plain search-box text as Solr's dismax parser does: never fails."""
    optional: list[Text] = []
    required: list[Text] = []
    excluded: list[Text] = []
    for match in _DISMAX_RE.finditer(text or ""):
        if match.group(2) is not None:
            sign, value, phrase = match.group(1), match.group(2), True
        else:
            sign, value, phrase = match.group(3), match.group(4), False
            if value.count('"') % 2:  # a stray quote: Solr's dismax drops it
                value = value.replace('"', "")
        value = value.strip()
        if not value or value in ("*", "*:*") or value.upper() in ("AND", "OR", "NOT", "&&", "||"):
            continue
        node = Text(value, phrase=phrase)
        {"+": required, "-": excluded}.get(sign, optional).append(node)
    return DismaxQuery(tuple(optional), tuple(required), tuple(excluded))


def minimum_should_match(count: int) -> int:
    """CKAN's default ``mm`` of ``2<-1 5<80%``: all of 1–2 words, all but one of 3–5, 80 % above."""
    if count <= 2:
        return count
    if count <= 5:
        return count - 1
    return (count * 80) // 100
