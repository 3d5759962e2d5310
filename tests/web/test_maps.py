"""Console maps without anyone else's servers (issue 21): the agency's own PMTiles base map
read with range requests, else state and county outlines shipped with alpr; typed and drawn
areas give the same summary."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from alpr.users.permissions import Role
from tests.web.conftest import VIEWPORT, Console, login, running_console, screenshot

# A colour no other layer uses, so its pixels prove the base map was drawn.
TILE_RGB = (201, 31, 162)


def raster_pmtiles(path: Path, max_zoom: int = 3) -> None:
    tile = io.BytesIO()
    Image.new("RGB", (256, 256), TILE_RGB).save(tile, format="PNG")
    with path.open("wb") as out:
        writer = Writer(out)  # type: ignore[no-untyped-call]
        for z in range(max_zoom + 1):
            for x in range(2 ** z):
                for y in range(2 ** z):
                    writer.write_tile(  # type: ignore[no-untyped-call]
                        zxy_to_tileid(z, x, y), tile.getvalue())
        writer.finalize({  # type: ignore[no-untyped-call]
                         "tile_type": TileType.PNG, "tile_compression": Compression.NONE,
                         "min_zoom": 0, "max_zoom": max_zoom, "min_lon_e7": -1800000000,
                         "min_lat_e7": -850000000, "max_lon_e7": 1800000000,
                         "max_lat_e7": 850000000, "center_zoom": 0, "center_lon_e7": 0,
                         "center_lat_e7": 0}, {"attribution": "Test base map"})


@pytest.fixture(scope="module")
def pmtiles_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("basemap")
    raster_pmtiles(folder / "agency.pmtiles")
    with running_console(folder / "alpr-data",
                         ALPR_MAP_PMTILES=str(folder / "agency.pmtiles")) as running:
        yield running


def _share_of(page: Page, selector: str, rgb: tuple[int, int, int]) -> float:
    shot = np.asarray(Image.open(io.BytesIO(page.locator(selector).screenshot())).convert("RGB"),
                      dtype=np.int16)
    near = (np.abs(shot - np.array(rgb, dtype=np.int16)) <= 12).all(axis=2)
    return float(near.mean())


def test_search_map_draws_the_agencys_pmtiles_with_range_requests(
        browser: Browser, pmtiles_console: Console) -> None:
    context = browser.new_context(viewport=VIEWPORT,  # type: ignore[arg-type]
                                  base_url=pmtiles_console.url)
    page = context.new_page()
    outside: list[str] = []
    ranges: list[int] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((pmtiles_console.url, "data:", "blob:")) else None)
    page.on("response", lambda r: ranges.append(r.status)
            if r.url.endswith("/map/basemap.pmtiles") else None)
    login(page, pmtiles_console.account(Role.DATA_USER, prefix="analyst"), next_path="/search")
    box = page.locator("#search-map")
    expect(box).to_have_attribute("data-basemap", "pmtiles-raster")
    expect(box).to_have_attribute("data-basemap-ready", "true", timeout=30_000)
    assert _share_of(page, "#search-map", TILE_RGB) > 0.5
    assert ranges and set(ranges) == {206}, ranges  # only the bytes it needed
    assert outside == []
    screenshot(page, "search-map-pmtiles")
    # Without a session the file is not served.
    assert httpx.get(f"{pmtiles_console.url}/map/basemap.pmtiles").status_code == 401
    context.close()


def test_without_a_base_map_the_map_shows_state_and_county_lines(page: Page,
                                                                 console: Console) -> None:
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((console.url, "data:", "blob:")) else None)
    login(page, console.account(Role.DATA_USER, prefix="analyst"), next_path="/search")
    box = page.locator("#search-map")
    expect(box).to_have_attribute("data-basemap", "outlines")
    expect(box).to_have_attribute("data-basemap-ready", "true", timeout=30_000)
    screenshot(page, "search-map-outlines")
    # The outline colours (county, state, coast) are drawn on the background colour.
    background = _share_of(page, "#search-map", (0xf4, 0xf1, 0xea))
    lines = sum(_share_of(page, "#search-map", rgb)
                for rgb in ((0xb3, 0xaa, 0x9b), (0x5e, 0x55, 0x47), (0x3b, 0x34, 0x2a)))
    assert background > 0.5
    assert lines > 0.001
    assert outside == []
    expect(page.locator("#map-offline").locator("..")).to_contain_text("state and county lines")
    screenshot(page, "search-map-outlines")


def test_typed_circle_updates_the_same_summary_as_a_drawn_one(page: Page,
                                                              console: Console) -> None:
    login(page, console.account(Role.DATA_USER, prefix="analyst"), next_path="/search")
    summary = page.locator("#area-summary")
    page.get_by_label("Centre latitude").fill("37.81")
    page.get_by_label("Centre longitude").fill("-122.27")
    page.get_by_label("Radius (m)").fill("500")
    page.get_by_label("Radius (m)").blur()
    expect(summary).to_have_text(re.compile(r"Circle of 500 m around 37\.81, -122\.27"))
    page.get_by_label("Radius (m)").fill("")
    page.get_by_label("Radius (m)").blur()
    expect(summary).to_contain_text("Incomplete circle")
