"""The citation grammar and quote matching, in one place: pages (``{src}``) and data files use it.

A citation target is ``text-id#p12``, ``text-id#p12,p14`` or ``text-id#p12-14`` (ranges ascending,
paragraphs from 1). A quote is evidence only if it is a run of whole words of the cited paragraph
(whitespace-insensitive) with at least :data:`MIN_QUOTE_CHARS` letters or digits. Every refusal
says what was expected, and for a near miss what was found: the same words in another typographic
style (apostrophes, quotation marks, dashes), or the quote standing in another paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

TEXT_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
PART = r"p(?P<first>\d+)(?:-(?P<last>\d+))?"
TARGET_RE = re.compile(rf"^(?P<text>{TEXT_ID})#(?P<paras>p\d+(?:-\d+)?(?:,\s*p\d+(?:-\d+)?)*)$")
PART_RE = re.compile(rf"^{PART}$")
MIN_QUOTE_CHARS = 2  # letters or digits, in whole words: "a" is not evidence; "EU" (a name the texts use) is
QUOTE_SEPARATOR = " | "

# Typographic variants a writer may type differently from the text; each maps to one plain character.
STYLE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
})
FORM = "'text-id#p12' (or '#p12,p14', '#p12-14')"


class CitationError(ValueError):
    """A citation that does not hold; the message says what was expected."""


class _Paragraph(Protocol):
    number: int
    text: str


class _Source(Protocol):
    id: str
    paragraphs: Sequence[_Paragraph]


@dataclass(frozen=True)
class Citation:
    text_id: str
    paragraphs: list[int]
    quotes: list[str]


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def parse_target(target: str) -> tuple[str, list[int]]:
    """``text-id#p3,p5-7`` -> ("text-id", [3, 5, 6, 7]); CitationError if it is not of that form."""
    target = target.strip()
    if not target:
        raise CitationError(f"empty citation: expected {FORM}")
    text_id, hash_sign, spec = target.partition("#")
    if not hash_sign or not re.fullmatch(TEXT_ID, text_id):
        raise CitationError(f"citation {target!r} is not of the form {FORM}")
    numbers: list[int] = []
    for part in spec.split(","):
        match = PART_RE.match(part.strip())
        if not match:
            raise CitationError(f"citation {target!r} is not of the form {FORM}: {part.strip()!r} is not "
                                "a paragraph like 'p12' or a range like 'p12-14'")
        first = int(match["first"])
        last = int(match["last"] or first)
        if first < 1:
            raise CitationError(f"citation {target!r}: paragraphs are numbered from 1, not {first}")
        if match["last"] is not None and last < first:
            raise CitationError(f"citation {target!r}: range 'p{first}-{last}' is reversed: write 'p{last}-{first}'")
        if match["last"] is not None and last == first:
            raise CitationError(f"citation {target!r}: range 'p{first}-{last}' is empty (one paragraph): write 'p{first}'")
        numbers.extend(range(first, last + 1))
    return text_id, list(dict.fromkeys(numbers))


def paragraph_ranges(numbers: list[int]) -> str:
    """Paragraph numbers as a reader writes them: [3, 4, 5, 8] -> "3–5, 8"."""
    ranges: list[str] = []
    for number in numbers:
        if ranges and int(ranges[-1].split("–")[-1]) == number - 1:
            ranges[-1] = ranges[-1].split("–")[0] + f"–{number}"
        else:
            ranges.append(str(number))
    return ", ".join(ranges)


def split_quotes(title: str) -> list[str]:
    return title.split(QUOTE_SEPARATOR)


def _word_pattern(quote: str) -> re.Pattern[str]:
    """The quote as a run of whole words: no letter or digit may touch it on either side."""
    body = r"\s+".join(re.escape(word) for word in quote.split())
    start = r"(?<![^\W_])" if quote[:1].isalnum() else ""
    end = r"(?![^\W_])" if quote[-1:].isalnum() else ""
    return re.compile(start + body + end)


@lru_cache(maxsize=4096)
def _spaced(text: str) -> str:
    return normalise_space(text)


def quote_found(quote: str, text: str) -> bool:
    """Whether the quote occurs in the text as a run of whole words (as :func:`_word_pattern` finds it).

    A plain substring search over the text with its spaces normalised: compiling one pattern per
    quote cost a tenth of every build."""
    quote, text = _spaced(quote), _spaced(text)
    start = text.find(quote)
    while start != -1:
        end = start + len(quote)
        touches_before = quote[:1].isalnum() and start > 0 and text[start - 1].isalnum()
        touches_after = quote[-1:].isalnum() and end < len(text) and text[end].isalnum()
        if not (touches_before or touches_after):
            return True
        start = text.find(quote, start + 1)
    return False


def check_quote(source: _Source, target: str, paragraphs: list[int], quote: str) -> str:
    """The quote, normalised; CitationError saying why it is not evidence for those paragraphs."""
    quote = normalise_space(quote)
    if sum(c.isalnum() for c in quote) < MIN_QUOTE_CHARS:
        raise CitationError(f"citation {target!r}: quote {quote!r} is too short to be evidence "
                            f"(at least {MIN_QUOTE_CHARS} letters or digits, whole words of the paragraph)")
    cited = [source.paragraphs[n - 1].text for n in paragraphs]
    if any(quote_found(quote, text) for text in cited):
        return quote
    styled = _word_pattern(quote.translate(STYLE))
    for text in cited:
        match = styled.search(text.translate(STYLE))
        if match:  # translate() maps one character to one, so the span is the text's own words
            raise CitationError(f"citation {target!r}: quote {quote!r} differs from the text only in "
                                f"apostrophe, quotation-mark or dash style: the text has {text[match.start():match.end()]!r}")
    if any(re.search(re.escape(quote).replace(r"\ ", r"\s+"), text) for text in cited):
        raise CitationError(f"citation {target!r}: quote {quote!r} only occurs inside longer words of the "
                            "cited paragraph(s): quote whole words")
    elsewhere = [p.number for p in source.paragraphs if p.number not in paragraphs and quote_found(quote, p.text)]
    if elsewhere:
        where = ", ".join(f"{source.id}#p{n}" for n in elsewhere[:3])
        raise CitationError(f"citation {target!r}: quote {quote!r} does not occur in the cited paragraph(s); "
                            f"it occurs in {where}: cite that paragraph")
    raise CitationError(f"citation {target!r}: quote {quote!r} does not occur in the cited paragraph(s)")


def check_citation(texts: Mapping[str, _Source], target: str, quotes: Sequence[str] = ()) -> Citation:
    """Parse ``target`` and check it and its quotes against the texts; CitationError if it does not hold."""
    text_id, paragraphs = parse_target(target)
    if text_id not in texts:
        raise CitationError(f"citation names unknown source text {text_id!r} (known: {', '.join(sorted(texts))})")
    source = texts[text_id]
    count = len(source.paragraphs)
    out_of_range = [n for n in paragraphs if not 1 <= n <= count]
    if out_of_range:
        raise CitationError(f"citation {target.strip()!r}: paragraph {out_of_range[0]} is out of range "
                            f"({text_id} has paragraphs 1-{count})")
    checked = [check_quote(source, target.strip(), paragraphs, q) for q in quotes]
    return Citation(text_id, paragraphs, checked)


# A role whose content MyST did not recognise (``{src}`` `` with nothing between the backticks, or an
# unterminated one) stays in the page as literal text: the citation silently vanishes. Refuse it.
UNPARSED_ROLE = re.compile(r"\{(?P<role>[a-z][\w:-]*)\}`")


def unparsed_roles(text: str) -> list[str]:
    """Role names written with ``{role}``` that were left as text (empty or unterminated content)."""
    return [m["role"] for m in UNPARSED_ROLE.finditer(text)]


def _verbatim(node: object) -> bool:
    from docutils import nodes

    while node is not None:
        if isinstance(node, (nodes.FixedTextElement, nodes.literal, nodes.raw, nodes.comment)):
            return True
        if isinstance(node, nodes.Element) and "kb-source-text" in node.get("classes", []):
            return True
        node = node.parent  # type: ignore[attr-defined]
    return False


def refuse_unparsed_roles(app: object, doctree: object) -> None:
    from docutils import nodes
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    for text in doctree.findall(nodes.Text):  # type: ignore[attr-defined]
        roles = unparsed_roles(text.astext())
        if roles and not _verbatim(text.parent):
            logger.warning(f"role {{{roles[0]}}} has empty or unterminated content: write it as "
                           f"{{{roles[0]}}}`target` (for a citation, {{src}}`text-id#p12`)",
                           location=text.parent, type="kb", subtype="citation")


def setup(app: object) -> None:
    app.connect("doctree-read", refuse_unparsed_roles)  # type: ignore[attr-defined]
