"""``cpt-addin suggest CODE [OTHER]``: which modifiers the data allows, and why.

The same answer as the Excel functions ``SUGGEST_MODIFIERS`` / ``SUGGEST_MODIFIERS_TABLE``
(:func:`addin.suggest.suggest_modifiers`): with a second code the NCCI PTP edit between the
two comes first, then each code's fee-schedule indicators.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from addin.cli.common import EXIT_REFUSED, add_command
from addin.cli.common import date_arg as _date
from addin.cli.common import setting_arg as _setting


def register(subparsers) -> None:
    """Add the ``suggest`` sub-command."""
    parser = add_command(
        subparsers,
        "suggest",
        help="modifiers a code (or a pair of codes) may need, each with its reason",
        exits=("0 the suggestions were printed (maybe none)", EXIT_REFUSED + "; unknown code"),
    )
    parser.add_argument("code")
    parser.add_argument("other", nargs="?", help="another code billed the same day")
    parser.add_argument("--date", type=_date, help="date of service (default today)")
    parser.add_argument("--setting", type=_setting, default="practitioner",
                        help="practitioner (default), hospital or dme (dme: one code only; CMS publishes no DME PTP table)")
    parser.add_argument("--json", action="store_true", help="print the suggestions as JSON")
    parser.set_defaults(func=run_suggest)


def run_suggest(args: argparse.Namespace) -> int:
    """Print one block per suggestion: modifier and line, then the reason.

    A code (or other code) that is missing, malformed or unknown is refused (exit 2), and so
    is a pair question in a setting without a PTP table (``dme``).
    """
    from addin.reference import get_reference_data
    from addin.suggest import suggest_modifiers
    from addin.validation import check_code, check_setting

    reference = get_reference_data()
    setting = args.setting if args.other is None else check_setting(args.setting)
    ptp = None if args.other is None else setting
    code = check_code(reference, args.code, args.date, "code", ptp)
    other = None if args.other is None else check_code(reference, args.other, args.date, "other", ptp)
    found = suggest_modifiers(reference, code, other, args.date, setting)
    if args.json:
        print(json.dumps([asdict(s) for s in found], indent=2))
        return 0
    for suggestion in found:
        if suggestion.modifiers:
            print(f"{suggestion.modifier} on {suggestion.line or suggestion.code}: {suggestion.label}")
        else:
            print(suggestion.label)
        print(f"    {suggestion.reason}")
    if not found:
        print("No modifier suggested by the loaded indicators.")
    notes = get_reference_data().suggestion_currency(args.code, args.other, args.date, args.setting)
    for note in notes:
        if note.sentence:
            print(f"Data currency: {note.sentence}")
    return 0
