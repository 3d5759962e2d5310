"""API shapes for hot lists and alerts."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    read_id: uuid.UUID
    camera_id: str
    plate_read: str
    plate_listed: str
    state_listed: str | None
    list_name: str
    source: str
    reason: str
    match: str
    status: str
