"""``cpt-addin rules``: every rule's id, family, severity, name and documentation."""

from __future__ import annotations

import argparse
import json

from addin.rules import all_rules


def register(subparsers) -> None:
    """Add the ``rules`` sub-command."""
    parser = subparsers.add_parser("rules", help="list every claim rule with its documentation")
    parser.add_argument(
        "rule_ids", nargs="*", metavar="RULE", help="only these rule ids or families"
    )
    parser.add_argument("--json", action="store_true", help="print the rules as JSON")
    parser.set_defaults(func=run_rules)


def rule_records(selected: list[str] | None = None) -> list[dict[str, str]]:
    """One record per rule: ``rule_id, family, severity, name, summary, doc``."""
    wanted = {s.upper() for s in selected or []} | {s.lower() for s in selected or []}
    return [
        {
            "rule_id": rule.rule_id,
            "family": rule.family,
            "severity": rule.severity,
            "name": rule.name,
            "summary": rule.summary(),
            "doc": rule.doc(),
        }
        for rule in all_rules()
        if not wanted or rule.rule_id in wanted or rule.family in wanted
    ]


def run_rules(args: argparse.Namespace) -> int:
    """Print the rules (text or JSON)."""
    records = rule_records(args.rule_ids)
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    if not records:
        print("No rule matches.")
        return 2
    for record in records:
        print(f"{record['rule_id']}  [{record['family']}, {record['severity']}]  {record['name']}")
        print()
        print("\n".join(f"    {line}" if line else "" for line in record["doc"].splitlines()))
        print()
    return 0
