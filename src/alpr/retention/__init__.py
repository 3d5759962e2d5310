"""Retention that enforces itself: purge, logical deletion, holds."""
