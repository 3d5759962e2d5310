"""What a listing returned, compactly, for its one audit entry: a count, the ids and the
plates it showed (issue 17.3: one entry per request, never one per row)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_ID_KEYS = ("id", "read_id", "alert_id", "entry_id", "username", "camera_id", "name")
_PLATE_KEYS = ("plate", "plate_normalized", "plate_read")
_MAX_LISTED = 100


def summarize(payload: Any) -> dict[str, Any]:
    """What an answer returned, compactly: a count and the ids and plates it named."""
    items = payload if isinstance(payload, list) else None
    if isinstance(payload, dict) and items is None:
        lists = [v for v in payload.values() if isinstance(v, list)]
        items = lists[0] if lists else None
        if items is None:
            return {"count": 1, **_identify([payload])}
    if items is None:
        return {}
    return {"count": len(items), **_identify(items)}


def _identify(items: Iterable[Any]) -> dict[str, Any]:
    ids, plates = [], []
    for item in items:
        if not isinstance(item, dict):
            continue
        ident = next((item[k] for k in _ID_KEYS if item.get(k) not in (None, "")), None)
        if ident is not None:
            ids.append(ident)
        for key in _PLATE_KEYS:
            if isinstance(item.get(key), str):
                plates.append(item[key])
                break
    found: dict[str, Any] = {}
    if ids:
        found["ids"] = ids[:_MAX_LISTED]
    if plates:
        found["plates"] = sorted(set(plates))[:_MAX_LISTED]
    if len(ids) > _MAX_LISTED or len(set(plates)) > _MAX_LISTED:
        found["truncated"] = True
    return found


def listed(items: Iterable[Any]) -> dict[str, Any]:
    """`summarize` for rows already in hand (dicts, or pydantic models)."""
    rows = [i.model_dump(mode="json") if hasattr(i, "model_dump") else i for i in items]
    return summarize(rows)
