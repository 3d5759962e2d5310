"""PDF documents with full Unicode text (agency names, dashes, degrees): fpdf2 with the
DejaVu fonts that ship with matplotlib, so no font file of our own is needed."""

from __future__ import annotations

from pathlib import Path

import matplotlib
from fpdf import FPDF


def font_dir() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def new_pdf() -> FPDF:
    """A document with page breaks and the regular and bold "dejavu" fonts registered."""
    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("dejavu", "", str(font_dir() / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(font_dir() / "DejaVuSans-Bold.ttf"))
    return pdf
