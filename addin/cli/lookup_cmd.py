"""``cpt-addin lookup`` and ``cpt-addin conflicts``: answers about one code or one pair."""

from __future__ import annotations

import argparse
import json
import sys

from addin.cli.common import EXIT_REFUSED, add_command
from addin.cli.common import date_arg as _date
from addin.cli.common import setting_arg as _setting


def register(subparsers) -> None:
    """Add the ``lookup`` and ``conflicts`` sub-commands."""
    lookup = add_command(
        subparsers,
        "lookup",
        help="what a coder needs to know about a code",
        exits=("0 the code card was printed", EXIT_REFUSED + "; unknown or malformed code"),
    )
    lookup.add_argument("code")
    lookup.add_argument("--date", type=_date, help="date of service (default today)")
    lookup.add_argument("--setting", type=_setting, default="practitioner",
                        help="practitioner (default), hospital or dme")
    lookup.add_argument("--json", action="store_true", help="print the record as JSON")
    lookup.set_defaults(func=run_lookup)

    conflicts = add_command(
        subparsers,
        "conflicts",
        help="is there an NCCI PTP edit between two codes (either order)?",
        exits=(
            "0 no edit in force, or the edit is bypassed by the modifiers given",
            "1 conflict: an edit in force denies one of the codes as billed",
            EXIT_REFUSED + "; unknown code or modifier, or a setting without a PTP table",
        ),
    )
    conflicts.add_argument("code1")
    conflicts.add_argument("code2")
    conflicts.add_argument("--mods1", default="", help="modifiers on the first code, e.g. 59,XS")
    conflicts.add_argument("--mods2", default="", help="modifiers on the second code")
    conflicts.add_argument("--date", type=_date, help="date of service (default today)")
    conflicts.add_argument("--setting", type=_setting, default="practitioner",
                           help="practitioner (default) or hospital")
    conflicts.add_argument("--json", action="store_true", help="print the verdict as JSON")
    conflicts.set_defaults(func=run_conflicts)


def run_lookup(args: argparse.Namespace) -> int:
    """Print the code card; exit 2 with the reason on stderr when the code is missing,
    malformed or not in the loaded tables (:mod:`addin.validation`)."""
    from addin.explain import code_card
    from addin.reference import get_reference_data
    from addin.validation import code_problem

    reference = get_reference_data()
    problem = code_problem(reference, args.code, args.date)
    info = reference.code_info(args.code, args.date, args.setting)
    if args.json:
        print(info.model_dump_json(indent=2))
    elif problem is None:
        print("\n".join(code_card(info)))
    if problem is not None:
        print(f"cpt-addin lookup: {problem}", file=sys.stderr)
        return 2
    return 0


def run_conflicts(args: argparse.Namespace) -> int:
    """Print the verdict first, then why and what to do; exit 1 on a conflict.

    A code that is missing, malformed or unknown, a malformed or unknown modifier and a
    setting without a PTP table (``dme``) are refused (exit 2), never answered "no edit".
    """
    from addin.reference import get_reference_data
    from addin.validation import check_pair
    from addin.verdicts import CONFLICT, pair_verdict

    reference = get_reference_data()
    code1, code2, mods1, mods2, setting = check_pair(
        reference, args.code1, args.code2, args.mods1, args.mods2, args.date, args.setting
    )
    verdict = pair_verdict(reference, code1, code2, mods1, mods2, args.date, setting)
    if args.json:
        payload = json.loads(verdict.model_dump_json())
        print(json.dumps(payload, indent=2))
    else:
        print("\n".join(verdict.lines()))
    return 1 if verdict.verdict == CONFLICT else 0
