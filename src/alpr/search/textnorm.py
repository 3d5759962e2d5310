"""Free text reduced to the words it means, so a rule does not depend on wording.

A determined user writes "I.C.E.", "I C E", "1CE", "ІСЕ" (Cyrillic), "Dep0rtaton" or
"Planned-Parenthood". `tokens()` undoes each trick in turn:

1. Unicode NFKC (full-width and styled letters become plain ones), invisible format
   characters removed, look-alike Cyrillic/Greek letters mapped to the Latin ones they
   imitate, accents dropped, case folded;
2. punctuation becomes a word break, so "ex-girlfriend" is "ex girlfriend";
3. a run of single letters ("i c e", "h.s.i.") is joined into one word;
4. letters repeated three times or more are squeezed to two, and each word is also read
   with its doubled letters single ("deeeport" -> "deport", "plannned" -> "planned");
5. each word also stands for its leetspeak reading ("1ce" -> "ice", "@bortion" -> "abortion")
   and, when it is no English word, for the lexicon word it misspells within one or two
   edits ("deportaton" -> "deportation"); a real English word ("detained", "protects") is
   never "corrected" into a lexicon word.

`Matcher` then finds lexicon phrases on whole-word boundaries only: "ice" is never found in
"police", "office", "Price", "Justice" or "Iceberg". A phrase also matches when the words
were run together or split ("PlannedParenthood", "de portation").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from rapidfuzz.distance import OSA
from spellchecker import SpellChecker

# Cyrillic and Greek letters that look like Latin ones (Unicode confusables, lower case;
# NFKC and case folding run first, so upper-case look-alikes arrive here folded).
_HOMOGLYPHS = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
    "ј": "j", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ь": "b",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ϲ": "c", "ℓ": "l",
})
# Leetspeak: digits and symbols written for letters, read back only inside a word that has
# letters too (a case number "26-004512" stays digits).
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "8": "b", "9": "g", "@": "a", "$": "s", "!": "i", "|": "l", "+": "t"})
_LEET_L = str.maketrans({"1": "l", "|": "l", "!": "l"})
_WORD = re.compile(r"[a-z0-9@$!|+]+")
_SEPARATOR = r"[\s.\-_*/\\·•,'’]"
_SINGLE_LETTERS = re.compile(
    rf"(?<![a-z0-9])(?:[a-z0-9@$!|]{_SEPARATOR}+){{1,}}[a-z0-9@$!|](?![a-z0-9])")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_DOUBLES = re.compile(r"([a-z])\1+")
NUMBER = "#"  # in a lexicon phrase: any word that starts with a digit ("march #")


def fold(text: str) -> str:
    """Steps 1–4 above: the canonical lower-case spelling of a text."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.casefold().translate(_HOMOGLYPHS)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(ch))
    text = text.replace("&", " and ")
    text = _SINGLE_LETTERS.sub(_join_letters, text)
    return _REPEATS.sub(r"\1\1", text)


def _join_letters(found: re.Match[str]) -> str:
    chars = re.sub(_SEPARATOR, "", found.group(0))
    # Join "i c e" and "1 c e", not "pc 4 5 9": at least two letters in the run.
    if sum(ch.isalpha() for ch in chars) < 2:
        return found.group(0)
    return f" {chars} "


@dataclass(frozen=True)
class Word:
    text: str  # as written (folded)
    readings: frozenset[str]  # the text, its leetspeak reading, its corrected spelling


@cache
def _english() -> SpellChecker:
    return SpellChecker(distance=1)


@lru_cache(maxsize=65_536)
def is_english(word: str) -> bool:
    return word in _english()


def words(text: str) -> list[str]:
    """The folded words of a lexicon phrase (no leetspeak, no correction: phrases are
    written plainly)."""
    return _WORD.findall(fold(text))


def edit_limit(word: str) -> int:
    """Edits a misspelling of `word` may have: one, two for words of ten letters or more."""
    return 2 if len(word) >= 10 else 1


@dataclass
class Vocabulary:
    """The lexicon words a misspelling may be corrected to (six letters or more)."""

    known: set[str] = field(default_factory=set)

    def correct(self, word: str) -> set[str]:
        if len(word) < 6 or not word.isalpha() or is_english(word):
            return set()
        found = set()
        for target in self.known:
            limit = edit_limit(target)
            if abs(len(target) - len(word)) <= limit and \
                    OSA.distance(word, target, score_cutoff=limit) <= limit:
                found.add(target)
        return found


def tokens(text: str, vocabulary: Vocabulary) -> list[Word]:
    out = []
    for raw in _WORD.findall(fold(text)):
        readings = {raw.strip("!|+$@") or raw, _DOUBLES.sub(r"\1", raw)}
        if any(ch.isalpha() for ch in raw) and any(not ch.isalpha() for ch in raw):
            readings |= {raw.translate(_LEET), raw.translate(_LEET_L).translate(_LEET)}
        if "l" in raw and len(raw) <= 6 and not is_english(raw):
            readings.add(raw.replace("l", "i"))  # "lCE", "HSl": a lower-case L for an I
        readings |= {fixed for reading in list(readings) for fixed in vocabulary.correct(reading)}
        out.append(Word(raw, frozenset(readings)))
    return out


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    prefix: bool = False  # "deport*": the last word may go on ("deported", "deportation")

    @property
    def joined(self) -> str:
        return "".join(self.words)

    @classmethod
    def parse(cls, text: str) -> Phrase:
        body = text.strip()
        prefix = body.endswith("*")
        parts: list[str] = []
        for chunk in re.split(r"(#)", body.rstrip("*")):
            parts += [NUMBER] if chunk == NUMBER else words(chunk)
        if not parts:
            raise ValueError(f"an empty lexicon phrase: {text!r}")
        return cls(tuple(parts), prefix)


@dataclass(frozen=True)
class Span:
    start: int  # word index, inclusive
    end: int  # exclusive
    phrase: Phrase


def _heads(word: str) -> Iterable[str]:
    """The word and each of its beginnings of three letters or more (for "deport*")."""
    return (word[:size] for size in range(min(3, len(word)), len(word) + 1))


class Matcher:
    """Finds phrases in tokenized text on word boundaries."""

    MAX_JOIN = 4  # words a phrase may have been split into ("planned paren thood")
    MAX_GLUED = 48  # letters: no phrase is longer, so longer windows cannot match

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases = tuple(dict.fromkeys(phrases))
        self._by_first: dict[str, list[Phrase]] = {}
        self._by_joined: dict[str, list[Phrase]] = {}
        for phrase in self.phrases:
            self._by_first.setdefault(phrase.words[0], []).append(phrase)
            if NUMBER not in phrase.words:
                self._by_joined.setdefault(phrase.joined, []).append(phrase)
        self._joined_lengths = frozenset(len(j) for j in self._by_joined)
        self._long_joined: dict[int, list[str]] = {}  # by length, for misspelt run-togethers
        for joined in self._by_joined:
            if len(joined) >= 6:
                self._long_joined.setdefault(len(joined), []).append(joined)

    def find(self, text: Sequence[Word]) -> list[Span]:
        found: list[Span] = []
        for start, word in enumerate(text):
            candidates = {p for reading in word.readings for head in _heads(reading)
                          for p in self._by_first.get(head, ())}
            if word.text[:1].isdigit() or word.text in _NUMBER_WORDS:
                candidates.update(self._by_first.get(NUMBER, ()))
            for phrase in candidates:
                end = start + len(phrase.words)
                last = len(phrase.words) - 1
                if end <= len(text) and all(
                        _word_matches(w, text[start + i], phrase.prefix and i == last)
                        for i, w in enumerate(phrase.words)):
                    found.append(Span(start, end, phrase))
            found += self._joined(text, start)
        return found

    def _joined(self, text: Sequence[Word], start: int) -> list[Span]:
        """The phrase written run together or split otherwise: 1 to 4 words glued."""
        found = []
        for end in range(start + 1, min(start + self.MAX_JOIN, len(text)) + 1):
            glued = "".join(w.text for w in text[start:end])
            before_last = len(glued) - len(text[end - 1].text)
            if end - start == 1:  # one word read as a phrase run together and misspelt
                for reading in text[start].readings - {glued}:
                    found += [Span(start, end, p) for p in self._by_joined.get(reading, ())]
            if len(glued) > self.MAX_GLUED:
                break
            for size in self._joined_lengths:
                if size > len(glued):
                    continue
                head = glued[:size]
                for phrase in self._by_joined.get(head, ()):
                    # "deport*" may run on within its last word only ("de portation"),
                    # never across the words after it ("demonstration of ...").
                    if head == glued or (phrase.prefix and before_last < len(head)):
                        found.append(Span(start, end, phrase))
            if end - start > 1 and not is_english(glued) and any(
                    w.text.isalpha() and not is_english(w.text) for w in text[start:end]):
                for size in range(len(glued) - 2, len(glued) + 3):
                    for joined in self._long_joined.get(size, ()):
                        limit = edit_limit(joined)
                        if abs(size - len(glued)) <= limit and \
                                OSA.distance(glued, joined, score_cutoff=limit) <= limit:
                            found += [Span(start, end, p) for p in self._by_joined[joined]]
        return found


_NUMBER_WORDS = frozenset((
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty", "thirty", "first", "second", "third", "fourth", "fifth", "sixth",
    "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
    "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth",
    "thirtieth",
))


def _word_matches(expected: str, word: Word, prefix: bool) -> bool:
    if expected == NUMBER:  # a number, in digits or in words ("march 3", "march third")
        return word.text[:1].isdigit() or word.text in _NUMBER_WORDS
    if prefix:
        return any(reading.startswith(expected) for reading in word.readings)
    return expected in word.readings
