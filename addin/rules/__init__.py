"""Claim edits as small documented units: one module per family, one class per rule id.

>>> from addin.rules import all_rules
>>> [r.rule_id for r in all_rules()][:3]
['INP001', 'INP002', 'INP003']

Families: ``ptp``, ``mue``, ``aoc``, ``modifier``, ``code``, ``diagnosis``, ``demographic``, ``global``,
``duplicate``, ``input``. Each rule's docstring is its user documentation (``cpt-addin rules``).
"""

from addin.rules.base import FAMILIES, Rule, raw_findings
from addin.rules.config import RuleConfig, load_config
from addin.rules.context import RuleContext
from addin.rules.registry import all_rules, get_rule, rule_classes

__all__ = [
    "FAMILIES",
    "Rule",
    "RuleConfig",
    "RuleContext",
    "all_rules",
    "get_rule",
    "load_config",
    "raw_findings",
    "rule_classes",
]
