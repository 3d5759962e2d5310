"""Payloads as each product sends them, built from the documented field lists
(../shared/INTEGRATIONS.md); no vendor code. Times are recent: reads must be fresh."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from tests.helpers import jpeg


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def millis(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def openalpr_group(when: datetime, plate: str = "7ABC123", **overrides: Any) -> dict[str, Any]:
    group: dict[str, Any] = {
        "data_type": "alpr_group", "version": 2, "epoch_start": millis(when),
        "epoch_end": millis(when) + 3333, "frame_start": 10, "frame_end": 42,
        "company_id": "c0ffee", "agent_uid": "AGENT01", "agent_version": "2.8.101",
        "agent_type": "alprd", "camera_id": 4711, "gps_latitude": 37.8101,
        "gps_longitude": -122.2702, "country": "us", "uuids": ["AGENT01-4711-1"],
        "plate_indexes": [0], "best_uuid": f"AGENT01-4711-{millis(when)}",
        "best_plate_number": plate, "best_confidence": 91.2, "best_region": "us-ca",
        "best_region_confidence": 80.0, "matches_template": True,
        "candidates": [{"plate": plate, "confidence": 91.2, "matches_template": 1},
                       {"plate": "7A8C123", "confidence": 70.1, "matches_template": 1}],
        "best_plate": {"plate": plate, "confidence": 91.2, "region": "us-ca",
                       "coordinates": [{"x": 10, "y": 20}, {"x": 90, "y": 20},
                                       {"x": 90, "y": 45}, {"x": 10, "y": 45}],
                       "plate_crop_jpeg": b64(jpeg((30, 30, 30), (80, 25)))},
        "vehicle": {"color": [{"name": "white", "confidence": 88.0},
                              {"name": "silver", "confidence": 10.0}],
                    "make": [{"name": "toyota", "confidence": 71.5}],
                    "make_model": [{"name": "toyota_camry", "confidence": 60.2}],
                    "body_type": [{"name": "sedan-standard", "confidence": 90.0}],
                    "year": [{"name": "2015-2019", "confidence": 40.0}]},
        "vehicle_crop_jpeg": b64(jpeg((120, 130, 140), (320, 240))),
        "best_image_width": 1920, "best_image_height": 1080, "travel_direction": 182.0,
        "direction_of_travel_id": 2, "is_parked": False, "is_preview": False,
        "vehicle_detected": True, "vehicle_signature": "abc",
        "plate_path": [{"x": 10, "y": 20, "w": 80, "h": 25, "t": 1, "f": 10}],
        "web_server_config": {"camera_label": "Gate", "agent_label": "Agent 1"},
    }
    group.update(overrides)
    return group


def openalpr_results(when: datetime, plates: list[str]) -> dict[str, Any]:
    return {
        "data_type": "alpr_results", "version": 2, "epoch_time": millis(when),
        "img_width": 1280, "img_height": 720, "processing_time_ms": 52.1,
        "uuid": f"AGENT01-4711-{millis(when)}", "camera_id": 4711, "agent_uid": "AGENT01",
        "error": False, "regions_of_interest": [{"x": 0, "y": 0, "width": 1280, "height": 720}],
        "vehicles": [],
        "results": [{"plate": plate, "confidence": 88.0 - index, "matches_template": 1,
                     "plate_index": index, "region": "us-ca", "region_confidence": 70,
                     "processing_time_ms": 11.0, "requested_topn": 10,
                     "coordinates": [{"x": 100, "y": 200}, {"x": 180, "y": 200},
                                     {"x": 180, "y": 230}, {"x": 100, "y": 230}],
                     "plate_crop_jpeg": b64(jpeg((10, 10, 10), (80, 30))),
                     "vehicle_region": {"x": 50, "y": 100, "width": 400, "height": 300},
                     "candidates": [{"plate": plate, "confidence": 88.0,
                                     "matches_template": 1}]}
                    for index, plate in enumerate(plates)],
    }


def openalpr_heartbeat(when: datetime) -> dict[str, Any]:
    return {
        "data_type": "heartbeat", "version": 2, "timestamp": millis(when),
        "agent_uid": "AGENT01", "agent_hostname": "gate-pc", "agent_version": "2.8.101",
        "system_uptime_seconds": 86000, "daemon_uptime_seconds": 4000,
        "internal_ip_address": "10.0.0.5", "cpu_cores": 4, "cpu_usage_percent": 37.5,
        "memory_consumed_bytes": 1_000_000, "disk_quota_total_bytes": 10_000_000,
        "processing_threads_active": 2, "processing_threads_configured": 2,
        "beanstalk_queue_size": 0,
        "video_streams": [{"camera_id": 4711, "fps": 15, "is_streaming": True,
                           "url": "rtsp://admin:secret@10.0.0.9/stream",
                           "last_update": millis(when)}],
    }


def pr_result_flat(plate: str, score: float = 0.91, **overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "plate": plate.lower(), "score": score, "dscore": 0.88,
        "box": {"xmin": 310, "ymin": 402, "xmax": 455, "ymax": 440},
        "region": {"code": "us-ca", "score": 0.8},
        "candidates": [{"plate": plate.lower(), "score": score},
                       {"plate": plate.lower().replace("1", "i"), "score": 0.5}],
        "vehicle": {"type": "Sedan", "score": 0.77,
                    "box": {"xmin": 120, "ymin": 150, "xmax": 800, "ymax": 610}},
        "model_make": [{"make": "Honda", "model": "Civic", "score": 0.6}],
        "color": [{"color": "blue", "score": 0.7}, {"color": "black", "score": 0.2}],
        "orientation": [{"orientation": "Front", "score": 0.9}],
        "direction": 95, "source_url": "rtsp://cam", "position_sec": 12.5,
        "user_data": "", "fps": 12,
    }
    result.update(overrides)
    return result


def pr_result_props(plate: str, score: float = 0.9) -> dict[str, Any]:
    """The newer shape: plate and vehicle objects with props."""
    return {
        "plate": {"type": "Plate", "score": score,
                  "box": {"xmin": 300, "ymin": 400, "xmax": 450, "ymax": 440},
                  "props": {"plate": [{"value": plate.lower(), "score": score},
                                      {"value": plate.lower()[:-1] + "8", "score": 0.4}],
                            "region": [{"value": "us-ca", "score": 0.7}]}},
        "vehicle": {"type": "SUV", "score": 0.8,
                    "box": {"xmin": 100, "ymin": 100, "xmax": 900, "ymax": 700},
                    "props": {"make_model": [{"make": "Ford", "model": "Explorer",
                                              "score": 0.5}],
                              "color": [{"value": "red", "score": 0.8}],
                              "orientation": [{"value": "Rear", "score": 0.9}]}},
        "direction": 270,
    }


def pr_snapshot_hook(when: datetime, results: list[dict[str, Any]],
                     camera: str = "gate") -> dict[str, Any]:
    return {"hook": {"target": "http://alpr/hook", "id": 17, "event": "image.done"},
            "data": {"processing_time": 41.3,
                     "timestamp": when.strftime("%Y-%m-%d %H:%M:%S.%f"),
                     "camera_id": camera, "filename": f"{camera}-{millis(when)}.jpg",
                     "version": 1, "results": results}}


def pr_stream_hook(when: datetime, results: list[dict[str, Any]],
                   camera: str = "gate") -> dict[str, Any]:
    return {"hook": {"target": "http://alpr/hook", "id": "camera-1", "event": "recognition",
                     "filename": f"{camera}_screenshots/{millis(when)}.jpg"},
            "data": {"camera_id": camera, "filename": f"{camera}_{millis(when)}.jpg",
                     "timestamp": when.isoformat(), "timestamp_local": when.isoformat(),
                     "timestamp_camera": None, "results": results}}
