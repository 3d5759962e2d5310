"""Checks that text in a PDF is really drawn on the page: rendered to an image (pdfium),
every character of each phrase inside the page and ink under it. A title cut at the page
edge ("Calen…") fails here while a plain text extraction would still find it."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

SCALE = 2  # render at 144 dpi


def _characters(text: pdfium.PdfTextPage) -> tuple[str, list[int]]:
    """The page's text with line breaks as single spaces, and each character's index."""
    flat: list[str] = []
    indexes: list[int] = []
    for index in range(text.count_chars()):
        char = text.get_text_range(index, 1)
        if char == "\r":
            continue
        flat.append(" " if char == "\n" else char)
        indexes.append(index)
    return "".join(flat), indexes


def assert_rendered(pdf: bytes | Path, phrases: list[str], *, png: Path | None = None) -> None:
    document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    missing = list(phrases)
    for number in range(len(document)):
        page = document[number]
        width, height = page.get_size()
        text = page.get_textpage()
        image = page.render(scale=SCALE).to_pil().convert("L")
        if png and number == 0:
            image.save(png)
        flat, indexes = _characters(text)
        for phrase in list(missing):
            start = flat.find(phrase)
            if start < 0:
                continue
            missing.remove(phrase)
            for offset, char in enumerate(phrase):
                if char.isspace():
                    continue
                left, bottom, right, top = text.get_charbox(indexes[start + offset])
                assert left >= 0 and right <= width and bottom >= 0 and top <= height, (
                    f"{phrase!r}: {char!r} is drawn off the page")
                box = image.crop((int(left * SCALE), int((height - top) * SCALE),
                                  int(right * SCALE) + 1, int((height - bottom) * SCALE) + 1))
                low, _ = box.getextrema()
                assert low < 128, f"{phrase!r}: no ink under {char!r}"
    assert not missing, f"not in the PDF: {missing}"
