"""A tiny phrase grammar: one line of catalog text stands for many sentences.

This module owns the notation the phrase banks are written in and its expansion; it knows nothing
about support cases.

    [a|b|c]    one of the alternatives, uniformly (nested brackets allowed); an empty one makes the
               part optional (`[ a| b|]`), left out OPTIONAL_SKIP of the time
    {name}     a slot filled from the variables: a `str` is expanded as grammar in turn, a
               `Lit` is inserted verbatim (hosts, commands, log lines), a list or tuple means
               "one of these", a callable is called with no argument

    >>> import random
    >>> expand("[Thanks|Many thanks] for the {what}[ so quickly|].", random.Random(1), {"what": "logs"})
    'Thanks for the logs.'

Expansion draws from the `random.Random` it is given and nothing else, so a seed gives the same text.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Any, Callable, Mapping, Optional, Sequence, Union


class Lit(str):
    """Text inserted as it is: never read as grammar."""


Node = Union[str, tuple]  # a literal run, ("alt", [sequences]) or ("slot", name)


@lru_cache(maxsize=None)
def parse(text: str) -> tuple:
    """The template as a sequence of nodes (cached: the banks are parsed once)."""
    seq, pos = _parse_seq(text, 0, top=True)
    if pos != len(text):
        raise ValueError(f"unbalanced ']' at {pos} in {text!r}")
    return seq


def _parse_seq(text: str, pos: int, top: bool) -> tuple[tuple, int]:
    out: list = []
    buf: list[str] = []
    while pos < len(text):
        ch = text[pos]
        if ch == "[":
            if buf:
                out.append("".join(buf))
                buf = []
            alts = []
            pos += 1
            while True:
                seq, pos = _parse_seq(text, pos, top=False)
                alts.append(seq)
                if pos >= len(text):
                    raise ValueError(f"unclosed '[' in {text!r}")
                if text[pos] == "|":
                    pos += 1
                    continue
                pos += 1  # the closing "]"
                break
            out.append(("alt", tuple(alts)))
        elif ch in "|]" and not top:
            break
        elif ch == "{":
            end = text.index("}", pos)
            if buf:
                out.append("".join(buf))
                buf = []
            out.append(("slot", text[pos + 1:end]))
            pos = end + 1
        else:
            buf.append(ch)
            pos += 1
    if buf:
        out.append("".join(buf))
    return tuple(out), pos


class Synonyms:
    """Interchangeable words and phrases, swapped at random in the literal text of a template.

    Each group lists forms that mean the same wherever the banks use them ("we are" / "we're",
    "at the moment" / "right now"); a match is replaced by a form of its group drawn uniformly
    (itself included), keeping an upper-case first letter. Slot values (`Lit`) are never touched.
    """

    def __init__(self, groups: Sequence[Sequence[str]]):
        self.group_of: dict[str, tuple[str, ...]] = {}
        for group in groups:
            for form in group:
                self.group_of[form.lower()] = tuple(group)
        forms = sorted(self.group_of, key=len, reverse=True)
        self.pattern = re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w'])",
                                  re.IGNORECASE)

    def apply(self, text: str, rng: random.Random) -> str:
        def swap(m: re.Match) -> str:
            group = self.group_of[m.group(0).lower()]
            new = group[int(rng.random() * len(group))]
            if m.group(0)[:1].isupper() and not new.startswith(("I ", "I'")):
                return cap(new)
            return new

        return self.pattern.sub(swap, text)


def expand(text: str, rng: random.Random, variables: Mapping[str, Any], synonyms: Optional[Synonyms] = None) -> str:
    """One sentence drawn from the template `text`, tidied (see `tidy`)."""
    return tidy(_render(parse(text), rng, variables, 0, synonyms))


def _render(seq: tuple, rng: random.Random, variables: Mapping[str, Any], depth: int,
            synonyms: Optional[Synonyms]) -> str:
    if depth > 12:
        raise ValueError("slots nest more than 12 levels deep: a slot probably refers to itself")
    parts = []
    for node in seq:
        if isinstance(node, str):
            parts.append(synonyms.apply(node, rng) if synonyms else node)
        elif node[0] == "alt":
            parts.append(_render(_choose(node[1], rng), rng, variables, depth, synonyms))
        else:
            parts.append(_value(node[1], rng, variables, depth, synonyms))
    return "".join(parts)


OPTIONAL_SKIP = 0.4  # how often an optional part (`[ a| b|]`) is left out


def _choose(alts: tuple, rng: random.Random) -> tuple:
    """One alternative, uniformly; when one is empty (an optional part), it is taken OPTIONAL_SKIP of the time."""
    if len(alts) > 2 and () in alts:
        if rng.random() < OPTIONAL_SKIP:
            return ()
        filled = [a for a in alts if a != ()]
        return filled[int(rng.random() * len(filled))]
    return alts[int(rng.random() * len(alts))]


def _value(name: str, rng: random.Random, variables: Mapping[str, Any], depth: int,
           synonyms: Optional[Synonyms]) -> str:
    try:
        value = variables[name]
    except KeyError:
        raise KeyError(f"no value for slot {{{name}}}") from None
    if callable(value):
        value = value()
    if isinstance(value, (list, tuple)):
        value = value[int(rng.random() * len(value))]
    if isinstance(value, Lit):
        return str(value)
    if isinstance(value, str):
        return _render(parse(value), rng, variables, depth + 1, synonyms)
    return str(value)


_SPACES = re.compile(r"[ \t]{2,}")
_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;:?!)])(?=\s|$)")  # "word ." but not " .domain.suffix"


def tidy(text: str) -> str:
    """Collapse the doubled spaces and stray spaces before punctuation that empty options leave."""
    lines = []
    for line in text.split("\n"):
        lead = len(line) - len(line.lstrip(" \t"))
        body = _BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", line[lead:])).rstrip()
        body = body.replace(",,", ",").replace(",.", ".").replace(".,", ".")
        lines.append(line[:lead] + body)
    return "\n".join(lines)


def to_regex(text: str, synonyms: Optional[Synonyms] = None) -> str:
    """A regular expression matching every sentence the template can give (slots match any text on
    one line; each synonym may appear in any of its forms; spaces as `tidy` leaves them). Used to
    check which bank a comment's sentences come from; match it case-insensitively."""
    return _regex_seq(parse(text), synonyms).replace("\\ ", " ?").replace("\\?", "[?.]")


def _regex_seq(seq: tuple, synonyms: Optional[Synonyms]) -> str:
    parts = []
    for k, node in enumerate(seq):
        if isinstance(node, str):
            parts.append(_regex_literal(node, synonyms))
        elif node[0] == "alt":
            parts.append("(?:" + "|".join(_regex_seq(a, synonyms) for a in node[1]) + ")")
        else:  # after a space, a slot starts a word: "Confirm {detail}" must not match "Confirmed"
            spaced = k > 0 and isinstance(seq[k - 1], str) and seq[k - 1].endswith(" ")
            parts.append((r"(?<![A-Za-z])" if spaced else "") + r"[^\n]+?")
    return "".join(parts)


def _regex_literal(text: str, synonyms: Optional[Synonyms]) -> str:
    if synonyms is None:
        return re.escape(text)
    out, last = [], 0
    for m in synonyms.pattern.finditer(text):
        out.append(re.escape(text[last:m.start()]))
        group = synonyms.group_of[m.group(0).lower()]
        out.append("(?:" + "|".join(re.escape(f) for f in group) + ")")
        last = m.end()
    out.append(re.escape(text[last:]))
    return "".join(out)


# ------------------------------------------------------------------------------- small helpers
def cap(text: str) -> str:
    """The text with its first letter in upper case."""
    return text[:1].upper() + text[1:]


def article(word: str) -> str:
    """`word` with its indefinite article: an Ozone, an HBase, a Hive."""
    an = word[:1] in "AEIOUaeiou" or (word[:1] == "H" and word[1:2].isupper())
    return ("an " if an else "a ") + word


def join_and(items: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def pick(rng: random.Random, options: Sequence[Any]) -> Any:
    """One of `options`, uniformly (the same draw `[a|b]` makes)."""
    return options[int(rng.random() * len(options))]


def weighted(rng: random.Random, table: Mapping[Any, float]) -> Any:
    """A key of `table` drawn with the values as weights (in the table's order)."""
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


Variables = dict[str, Union[str, Lit, list, tuple, Callable[[], Any], int]]
