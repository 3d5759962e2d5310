"""Plate recognition: detect plates in a frame, read their characters, post-process."""
