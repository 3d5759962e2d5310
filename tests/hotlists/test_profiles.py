"""Import profiles for the files agencies receive; bad lines reported, the rest kept."""

from __future__ import annotations

from datetime import date

import pytest

from alpr.hotlists.profiles import ProfileError, parse_clew, parse_csv, parse_ncic

CLEW = """DATE07/02/2018 09:00
ABC123  CA0120180627
XYZ-999 CA0220180430
!!!     CA0220180430
7DEF45  NV0320181301
TOTAL RECORD 0000004
"""

NCIC = (
    "V123456789LA057020020190509AB123456  CA2009MC2009YAMACYLMCBLK\n"  # the documented example
    f"W{'0' * 18}20200101{'WANTED1':<10}0H\n"
    f"Q{'0' * 18}20200101{'BADTYPE':<10}CA\n"
    "P123\n"
)


def test_clew_extract_reports_bad_lines_by_number_and_keeps_the_rest() -> None:
    # REQ H1 REQ H2 — CA DOJ stolen-vehicle extract
    parsed = parse_clew(CLEW, table="svs")
    assert [(e.line, e.plate, e.state) for e in parsed.entries] == [
        (2, "ABC123", "CA"), (3, "XYZ999", "CA")]
    assert parsed.entries[0].incident_date == date(2018, 6, 27)
    assert parsed.entries[0].reason == "stolen vehicle"
    assert [line for line, _ in parsed.problems] == [4, 5]
    assert "letters A-Z and digits" in parsed.problems[0][1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (CLEW.replace("TOTAL RECORD 0000004\n", ""), "no TOTAL RECORD footer"),
        (CLEW.replace("0000004", "0000072"), "declares 72 records but the file has 4"),
        ("ABC123  CA0120180627\n", "first line must be the DATE header"),
    ],
)
def test_a_truncated_clew_file_is_refused_whole(text: str, message: str) -> None:
    # REQ H2 — never replace the active list with a damaged file
    with pytest.raises(ProfileError, match=message):
        parse_clew(text, table="svs")


def test_ncic_extract_picks_the_reason_from_the_record_type() -> None:
    # REQ H1
    parsed = parse_ncic(NCIC)
    stolen, wanted = parsed.entries
    assert (stolen.plate, stolen.state, stolen.reason, stolen.record_type) == (
        "AB123456", "CA", "stolen vehicle", "V")
    assert (stolen.vehicle_year, stolen.vehicle_make, stolen.vehicle_model) == (
        "2009", "YAMA", "CYL")
    assert stolen.vehicle_color == "BLK"
    assert stolen.source_record_id == "123456789LA0570200"
    assert (wanted.reason, wanted.state) == ("wanted person", "OH")  # NCIC writes O as 0
    assert parsed.problems == [(3, "record type: 'Q' is not an NCIC vehicle record type"),
                               (4, "record is 4 characters; an NCIC record needs at least 39")]


def test_csv_with_a_column_mapping() -> None:
    text = "Tag,St,Why,Color\n7ABC123,CA,stolen vehicle,red\n,CA,stolen vehicle,\n"
    parsed = parse_csv(text, mapping={"plate": "Tag", "state": "St", "reason": "Why",
                                      "vehicle_color": "Color"})
    assert [(e.plate, e.state, e.reason, e.vehicle_color) for e in parsed.entries] == [
        ("7ABC123", "CA", "stolen vehicle", "red")]
    assert parsed.problems == [(3, "plate is empty")]
    with pytest.raises(ProfileError, match="columns not in the header"):
        parse_csv(text, mapping={"plate": "Plate"}, default_reason="x")


@pytest.mark.parametrize("stray", ['"', '"7XYZ', 'AB"C,"stolen', '",', '"""'])
def test_a_stray_quote_in_a_csv_loses_no_record_after_it(stray: str) -> None:
    # REQ H2 — one record per line: an unbalanced quote spoils its own line only
    text = f"plate,reason\n7ABC123,stolen\n{stray}\n8XYZ789,stolen\n9DEF456,felony\n"
    parsed = parse_csv(text, mapping={"plate": "plate", "reason": "reason"})
    assert [e.plate for e in parsed.entries] == ["7ABC123", "8XYZ789", "9DEF456"]
    assert [line for line, _ in parsed.problems] == [3]
