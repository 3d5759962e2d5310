"""Screening free text against the prohibited-use lexicons and personal identifiers.

The lexicons are data, one file per rule in lexicons/*.toml, each with the citation of the
law or policy section it enforces. An agency's policy may add phrases to a rule
(`[[search.lexicon_additions]]`); nothing in a policy can take one away, so the files are
the legal floor. Every text is normalized first (alpr.search.textnorm), then matched on
whole words; identifiers are also found by their shape (alpr.search.identifiers).

Used for every purpose (search, read and image views, evidence exports) and every share
request, so a refusal names the same rule and citation wherever the text was given.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from alpr.policy import Policy
from alpr.search import identifiers
from alpr.search.textnorm import Matcher, Phrase, Span, Vocabulary, Word, fold, tokens

LEXICON_DIR = Path(__file__).with_name("lexicons")
Scope = Literal["all", "on-behalf-of", "identifiers"]
# The order in which rules are tried, so the most serious one is named first.
RULE_ORDER = ("immigration", "reproductive-health", "first-amendment", "personal-use",
              "protected-characteristics", "on-behalf-of", "criminal-history", "ssn",
              "date-of-birth", "driver-licence", "phone", "email", "address")


@dataclass(frozen=True)
class Near:
    first: Matcher
    second: Matcher
    within: int


@dataclass(frozen=True)
class Lexicon:
    rule: str
    title: str
    citation: str
    applies_to: Scope
    refuse: Matcher
    allow: Matcher
    near: tuple[Near, ...] = ()
    formats: str | None = None  # an identifier shape from alpr.search.identifiers

    def hits(self, text: list[Word]) -> list[Span]:
        allowed = self.allow.find(text)

        def inside(span: Span) -> bool:
            return any(a.start <= span.start and span.end <= a.end for a in allowed)

        found = [span for span in self.refuse.find(text) if not inside(span)]
        for rule in self.near:
            seconds = [s for s in rule.second.find(text) if not inside(s)]
            for first in (f for f in rule.first.find(text) if not inside(f)):
                for second in seconds:
                    gap = max(second.start - first.end, first.start - second.end)
                    if gap <= rule.within:
                        found.append(Span(min(first.start, second.start),
                                          max(first.end, second.end), second.phrase))
        return found


@dataclass(frozen=True)
class Hit:
    rule: str
    title: str
    citation: str
    field: str
    found: str

    def message(self) -> str:
        return f"the {self.field} names {self.title} ({self.found!r}): refused"


def _phrases(values: Iterable[str]) -> list[Phrase]:
    return [Phrase.parse(value) for value in values]


def _load(path: Path, extra: Iterable[str] = ()) -> Lexicon:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    near = tuple(Near(Matcher(_phrases(n["first"])), Matcher(_phrases(n["second"])),
                      int(n.get("within", 4))) for n in data.get("near", ()))
    return Lexicon(rule=data["rule"], title=data["title"], citation=data["citation"],
                   applies_to=data["applies_to"],
                   refuse=Matcher(_phrases([*data["refuse"], *extra])),
                   allow=Matcher(_phrases(data.get("allow", ()))), near=near,
                   formats=data.get("formats"))


@cache
def lexicons(additions: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> tuple[Lexicon, ...]:
    """The rule files, with the policy's additional phrases, in RULE_ORDER."""
    extra: dict[str, list[str]] = {}
    for rule, phrases in additions:
        extra.setdefault(rule, []).extend(phrases)
    loaded = {lexicon.rule: lexicon for lexicon in (
        _load(path, extra.get(_rule_of(path), ())) for path in sorted(LEXICON_DIR.glob("*.toml")))}
    unknown = set(extra) - set(loaded)
    if unknown:
        raise ValueError(f"no lexicon for rule(s) {', '.join(sorted(unknown))}")
    return tuple(sorted(loaded.values(), key=lambda lx: RULE_ORDER.index(lx.rule)
                        if lx.rule in RULE_ORDER else len(RULE_ORDER)))


def _rule_of(path: Path) -> str:
    return str(tomllib.loads(path.read_text(encoding="utf-8"))["rule"])


@cache
def _vocabulary(all_lexicons: tuple[Lexicon, ...]) -> Vocabulary:
    known = {word for lexicon in all_lexicons for phrase in lexicon.refuse.phrases
             for word in phrase.words if len(word) >= 6 and word.isalpha()}
    # Phrases run together ("plannedparenthood") may be misspelt as one word too.
    known |= {phrase.joined for lexicon in all_lexicons for phrase in lexicon.refuse.phrases
              if len(phrase.words) > 1 and len(phrase.joined) >= 10 and phrase.joined.isalpha()}
    return Vocabulary(known)


def policy_lexicons(policy: Policy | None) -> tuple[Lexicon, ...]:
    if policy is None:
        return lexicons()
    return lexicons(tuple((a.rule, tuple(a.refuse)) for a in policy.search.lexicon_additions))


def rule_citation(rule: str) -> str | None:
    return next((lx.citation for lx in lexicons() if lx.rule == rule), None)


def screen(fields: Mapping[str, str | None], *, scopes: Mapping[str, frozenset[Scope]],
           policy: Policy | None, skip: Mapping[str, frozenset[str]] | None = None,
           case_number: str | None = None, today: date | None = None) -> Hit | None:
    """The first rule any field breaks, trying rules in RULE_ORDER; None when all pass.

    `scopes` says which kinds of rule apply to each field ("all": prohibited uses,
    "on-behalf-of": non-California recipients, "identifiers": personal identifiers);
    `skip` names single rules a field is exempt from.
    """
    today = today or date.today()
    all_lexicons = policy_lexicons(policy)
    vocabulary = _vocabulary(all_lexicons)
    texts = {name: value for name, value in fields.items() if value and value.strip()}
    words = {name: tokens(value, vocabulary) for name, value in texts.items()}
    for lexicon in all_lexicons:
        for name, value in texts.items():
            if lexicon.applies_to not in scopes.get(name, frozenset()):
                continue
            if skip and lexicon.rule in skip.get(name, frozenset()):
                continue
            spans = lexicon.hits(words[name])
            if spans:
                span = spans[0]
                found = " ".join(w.text for w in words[name][span.start:span.end])
                return Hit(lexicon.rule, lexicon.title, lexicon.citation, name, found)
            if lexicon.formats:
                shape = identifiers.FORMATS[lexicon.formats](
                    identifiers.without_case_number(fold(value), case_number),
                    identifiers.without_case_number(value, case_number), today)
                if shape:
                    return Hit(lexicon.rule, lexicon.title, lexicon.citation, name,
                               shape.strip())
    return None
