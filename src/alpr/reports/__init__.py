"""Audits, the annual report and the public transparency page (REQ L3–L6, P1, P2, H6)."""
