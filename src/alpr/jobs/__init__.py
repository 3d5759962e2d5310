"""Periodic jobs: each domain registers its own; `alpr jobs run-due` runs what is due."""
