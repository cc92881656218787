"""``cpt-addin rules``: every rule's id, family, severity, name and documentation.

``rules`` prints the documentation as Markdown (rendered with rich on a terminal, plain
Markdown when piped), ``rules --list`` one line per rule, ``rules PTP001`` / ``rules ptp`` /
``rules MOD00`` only the rules named (ids, id prefixes or families, as ``check --select``).
"""

from __future__ import annotations

import argparse
import json
import sys

from addin.cli.common import EXIT_REFUSED, add_command


def register(subparsers) -> None:
    """Add the ``rules`` sub-command."""
    parser = add_command(
        subparsers,
        "rules",
        help="list every claim rule with its documentation",
        exits=("0 printed", EXIT_REFUSED + "; a RULE names no rule (the valid ids are listed)"),
    )
    parser.add_argument(
        "rule_ids", nargs="*", metavar="RULE", help="only these rule ids, id prefixes or families"
    )
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--list", action="store_true", help="one line per rule: id, family, severity, summary")
    shape.add_argument("--json", action="store_true", help="print the rules as JSON")
    parser.set_defaults(func=run_rules)


def rule_records(selected: list[str] | None = None) -> list[dict[str, str]]:
    """One record per rule: ``rule_id, family, severity, name, summary, doc``.

    ``selected``: rule ids, id prefixes or families (unknown ones raise CptAddinError)."""
    from addin.rules import all_rules
    from addin.rules.config import resolve_rules

    wanted = set(resolve_rules(selected, "rules")) if selected else None
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
        if wanted is None or rule.rule_id in wanted
    ]


def list_lines(records: list[dict[str, str]]) -> list[str]:
    """``PTP001  ptp        error    Two codes that NCCI never pays together…`` per rule."""
    family = max((len(r["family"]) for r in records), default=0)
    rule_id = max((len(r["rule_id"]) for r in records), default=0)
    return [
        f"{r['rule_id']:<{rule_id}}  {r['family']:<{family}}  {r['severity']:<7}  {r['summary']}"
        for r in records
    ]


def markdown(records: list[dict[str, str]]) -> str:
    """The rules' documentation as one Markdown document (a heading per rule)."""
    parts = []
    for record in records:
        parts.append(
            f"## {record['rule_id']} `{record['name']}`\n\n"
            f"*family {record['family']}, severity {record['severity']}*\n\n{record['doc']}\n"
        )
    return "\n".join(parts)


def run_rules(args: argparse.Namespace) -> int:
    """Print the rules (Markdown, one line each, or JSON)."""
    records = rule_records(args.rule_ids)
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
    elif args.list:
        print("\n".join(list_lines(records)))
    elif sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(markdown(records)))
    else:
        print(markdown(records), end="")
    return 0
