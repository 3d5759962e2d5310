"""The agency's own base map, one PMTiles file (ALPR_MAP_PMTILES), served to the console's
maps with HTTP range requests: the browser reads the header and the tiles it needs, so a
state-wide file of gigabytes costs a few kilobytes per map view and no outside request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import FileResponse

from alpr.api.deps import Principal, authenticated

BASEMAP_PATH = "/map/basemap.pmtiles"
router = APIRouter(include_in_schema=False)


@router.get(BASEMAP_PATH)
def basemap(request: Request, _: Annotated[Principal, Depends(authenticated)]) -> FileResponse:
    path = request.app.state.settings.map_pmtiles
    if path is None or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no base map is configured")
    # Starlette answers Range requests with 206 and the asked bytes.
    return FileResponse(path, media_type="application/vnd.pmtiles",
                        headers={"Cache-Control": "private, max-age=3600"})
