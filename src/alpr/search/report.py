"""Case reports a prosecutor can read (issue 21): the search (or export) that produced them,
its purpose, who ran it and the audit entry that recorded it, then the reads with their
images — as CSV (one row per read) and as PDF. The evidence package carries the same PDF.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF

from alpr.pdf import new_pdf
from alpr.search.schemas import ReadOut

CSV_COLUMNS = ("read_id", "captured_at_utc", "plate", "confidence", "state", "camera_id",
               "camera_name", "lat", "lon", "heading", "vehicle_color", "vehicle_make",
               "vehicle_model", "has_plate_image", "has_vehicle_image")
# (read, kind) -> image bytes or None; each call is the caller's to audit.
ImageSource = Callable[[ReadOut, str], bytes | None]


@dataclass(frozen=True)
class CaseHeader:
    title: str
    facts: list[tuple[str, str]]  # purpose, case, on behalf of, run by, audit entry...


def to_csv(reads: Sequence[ReadOut], cameras: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in reads:
        writer.writerow([r.id, r.captured_at.isoformat(), r.plate_normalized, f"{r.confidence:.2f}",
                         r.region or "", r.camera_id, cameras.get(r.camera_id, ""),
                         "" if r.lat is None else f"{r.lat:.6f}",
                         "" if r.lon is None else f"{r.lon:.6f}",
                         "" if r.heading is None else f"{r.heading:.0f}",
                         r.vehicle_color or "", r.vehicle_make or "", r.vehicle_model or "",
                         r.has_plate_image, r.has_vehicle_image])
    return out.getvalue()


def to_pdf(header: CaseHeader, reads: Sequence[ReadOut], cameras: dict[str, str], *,
           images: ImageSource | None, generated_at: datetime) -> bytes:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_font("dejavu", "B", 15)
    pdf.multi_cell(0, 8, header.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 9)
    pdf.multi_cell(0, 5, f"Generated {generated_at:%Y-%m-%d %H:%M} UTC. {len(reads)} read(s)."
                   " Each read below is ALPR data: verify it before acting on it.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    with pdf.table(col_widths=(45, 145), text_align="LEFT", first_row_as_headings=False) as grid:
        for name, value in header.facts:
            row = grid.row()
            row.cell(name)
            row.cell(value)
    for number, read in enumerate(reads, 1):
        _read(pdf, number, read, cameras, images)
    return bytes(pdf.output())


def _read(pdf: FPDF, number: int, read: ReadOut, cameras: dict[str, str],
          images: ImageSource | None) -> None:
    pdf.ln(4)
    pdf.set_font("dejavu", "B", 11)
    pdf.multi_cell(0, 6, f"{number}. {read.plate_normalized} — {read.captured_at:%Y-%m-%d %H:%M:%S}"
                   " UTC", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 9)
    place = ("no position" if read.lat is None or read.lon is None
             else f"{read.lat:.6f}, {read.lon:.6f}")
    vehicle = " ".join(filter(None, (read.vehicle_color, read.vehicle_make, read.vehicle_model)))
    camera = cameras.get(read.camera_id)
    lines = [f"Camera: {read.camera_id}" + (f" ({camera})" if camera else ""),
             f"Place: {place}" + (f", heading {read.heading:.0f}°" if read.heading is not None
                                  else ""),
             f"Read confidence {read.confidence:.0%}" + (f"; state {read.region}"
                                                          if read.region else ""),
             f"Vehicle: {vehicle or 'not described'}", f"Read id: {read.id}"]
    pdf.multi_cell(0, 5, "\n".join(lines), new_x="LMARGIN", new_y="NEXT")
    if images is None:
        return
    top, x = pdf.get_y() + 1, pdf.l_margin
    shown = False
    for kind, height in (("plate", 18), ("vehicle", 40)):
        data = images(read, kind) if getattr(read, f"has_{kind}_image") else None
        if data is None:
            continue
        if top + height > pdf.h - pdf.b_margin:
            pdf.add_page()
            top = pdf.get_y()
        placed = pdf.image(io.BytesIO(data), x=x, y=top, h=height)
        x += placed.rendered_width + 4
        shown = True
    if shown:
        pdf.set_y(top + 41)
