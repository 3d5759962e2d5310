"""Detector and reader implementations; `alpr.recognition.registry` picks them by name."""
