"""Plate reads: the table, the image store and the one ingest path."""
