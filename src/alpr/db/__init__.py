"""Database plumbing: declarative base, column types, sessions and migrations."""
