"""Capture: frames from stills, folders, video files and camera streams, turned into reads."""
