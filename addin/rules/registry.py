"""Every rule, in the order the checker runs and ``cpt-addin rules`` lists them."""

from __future__ import annotations

from addin.rules import (
    aoc,
    code,
    demographic,
    diagnosis,
    duplicate,
    global_surgery,
    input,
    modifier,
    mue,
    ptp,
)
from addin.rules.base import Rule

_MODULES = (input, code, ptp, mue, aoc, modifier, diagnosis, demographic, global_surgery, duplicate)


def all_rules() -> list[Rule]:
    """One instance of every rule (ids are unique)."""
    return [rule() for module in _MODULES for rule in module.RULES]


def rule_classes() -> dict[str, type[Rule]]:
    """Rule classes by id."""
    return {rule.rule_id: rule for module in _MODULES for rule in module.RULES}


def get_rule(rule_id: str) -> Rule:
    """One rule by id (``KeyError`` when unknown)."""
    return rule_classes()[rule_id.upper()]()
