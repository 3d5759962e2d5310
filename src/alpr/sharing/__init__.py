"""Sharing only as the law allows: agencies, agreements, requests, public records, breaches."""
