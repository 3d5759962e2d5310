"""The legal floor on who is a California public agency, by name and jurisdiction, whatever
kind it was registered with (Civ. Code §1798.90.5(f), §1798.90.55(b); issue 16.2)."""

from __future__ import annotations

import pytest

from alpr.sharing.floor import name_problem, not_california_public

# name, jurisdiction: never a California public agency, whatever its registry kind says
REFUSED: list[tuple[str, str | None]] = [
    ("U.S. Immigration and Customs Enforcement", None),
    ("I.C.E. Enforcement and Removal Operations", None),
    ("u s immigration & customs enforcement", None),
    ("Homeland Security Investigations", None),
    ("HSI San Francisco", None),
    ("Customs and Border Protection", None),
    ("Federal Bureau of Investigation", None),
    ("DEA San Diego Field Division", None),
    ("U S Marshals Service", None),
    ("Department of Homeland Security", None),
    ("USCIS Field Office", None),
    ("Oregon State Police", None),
    ("State of Arizona DPS", None),
    ("Reno Police Department (Nevada)", None),
    ("NYPD", None),
    ("Carson City Sheriff", "Nevada"),
    ("Task force", "United States"),
    ("Acme Recovery Agents LLC", None),
    ("Flock Safety Inc.", None),
    ("Pinkerton Security Services", None),
    ("Vigilant Solutions", None),
    ("U.S. Department of Justice", None),
]
# near misses: California public agencies whose names look like the above to a naive rule
ALLOWED: list[tuple[str, str | None]] = [
    ("Oakland Police Department", "Oakland, CA"),
    ("California Highway Patrol", "California"),
    ("Nevada County Sheriff's Office", "Nevada County, California"),
    ("Nevada City Police Department", None),
    ("Imperial County Sheriff", None),
    ("Alameda Co. Sheriff", None),
    ("California Department of Justice", None),
    ("Washington Unified School District Police", None),
    ("Del Norte County Sheriff", None),
    ("San Diego Harbor Police", None),
    ("University of California Police Department", None),
    ("Los Angeles County District Attorney", None),
    ("Orange County Public Defender", None),
    ("US 101 Corridor Task Force (Caltrans)", None),
    ("Iceberg Valley Police", None),
]


@pytest.mark.parametrize(("name", "jurisdiction"), REFUSED)
def test_federal_out_of_state_and_private_names_are_refused(
    name: str, jurisdiction: str | None
) -> None:
    # REQ S1 — a California kind does not make ICE a California public agency
    assert name_problem(name, jurisdiction), name
    assert not_california_public(name, "ca_law_enforcement", jurisdiction), name


@pytest.mark.parametrize(("name", "jurisdiction"), ALLOWED)
def test_california_public_agencies_pass(name: str, jurisdiction: str | None) -> None:
    # REQ S1 — near misses pass
    assert name_problem(name, jurisdiction) is None, name
    assert not_california_public(name, "ca_local_agency", jurisdiction) is None


@pytest.mark.parametrize("kind", ["federal", "out_of_state", "private", "unknown"])
def test_a_non_california_kind_is_refused_whatever_the_name(kind: str) -> None:
    # REQ S1
    assert not_california_public("Oakland Police Department", kind)
