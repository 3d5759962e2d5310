"""The agency policy file: every number an agency chooses, checked against the SB 34 floor."""

from alpr.policy.duration import Duration
from alpr.policy.floor import Finding, check_policy
from alpr.policy.loading import (
    PolicyError,
    default_policy,
    load_checked_policy,
    load_policy,
    load_preset,
    policy_text,
    preset_names,
)
from alpr.policy.model import Policy

__all__ = [
    "Duration",
    "Finding",
    "Policy",
    "PolicyError",
    "check_policy",
    "default_policy",
    "load_checked_policy",
    "load_policy",
    "load_preset",
    "policy_text",
    "preset_names",
]
