"""The ``cpt-addin`` command: one sub-command module per job, loaded only when used.

``cpt-addin --help`` lists every command from :data:`COMMANDS` without importing the
command modules (pandas, the rules, the server stay unloaded); ``cpt-addin check …`` imports
only :mod:`addin.cli.check_cmd`, and that module imports the checker when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from addin.cli.common import EXIT_REFUSED, exit_codes
from addin.errors import CptAddinError

#: Every sub-command: name -> (module defining ``register(subparsers)``, one-line help).
#: The help here is what ``cpt-addin --help`` lists; tests check it matches the module's.
COMMANDS: dict[str, tuple[str, str]] = {
    "lookup": ("addin.cli.lookup_cmd", "what a coder needs to know about a code"),
    "conflicts": (
        "addin.cli.lookup_cmd",
        "is there an NCCI PTP edit between two codes (either order)?",
    ),
    "data": ("addin.cli.data_cmd", "import CMS tables into the local store, list them"),
    "check": (
        "addin.cli.check_cmd",
        "check a claims spreadsheet (xlsx/xlsm/csv) against every edit",
    ),
    "rules": ("addin.cli.rules_cmd", "list every claim rule with its documentation"),
    "excel": ("addin.cli.excel_cmd", "register the Excel functions (xlwings) and list them"),
    "suggest": (
        "addin.cli.suggest_cmd",
        "modifiers a code (or a pair of codes) may need, each with its reason",
    ),
    "template": (
        "addin.cli.template_cmd",
        "write a prebuilt workbook (claim entry, code lookup, pair checker)",
    ),
    "serve": (
        "addin.cli.serve_cmd",
        "run the add-in server (Office.js custom functions, task pane, check API)",
    ),
}

EXIT_TEXT = exit_codes(
    "0 done; for check: no finding at the --fail-on level (default error)",
    "1 check: findings at the --fail-on level; conflicts: the pair has an edit in force",
    EXIT_REFUSED,
    "see 'cpt-addin COMMAND --help' for each command's codes",
)


def package_version() -> str:
    """The installed distribution's version (package metadata), else ``addin.__version__``."""
    from importlib import metadata

    try:
        return metadata.version("cpt-addin")
    except metadata.PackageNotFoundError:
        from addin import __version__

        return __version__


class _VersionAction(argparse.Action):
    """``--version``: read the metadata only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):  # noqa: A002
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"cpt-addin {package_version()}")
        parser.exit()


def _command_in(argv: list[str]) -> str | None:
    """The sub-command named in ``argv`` (the first word that is not an option)."""
    for word in argv:
        if not word.startswith("-"):
            return word
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser. With ``argv`` only the command it names is loaded (the others are
    listed by name and help); without, every command is loaded (for docs and tests)."""
    parser = argparse.ArgumentParser(
        prog="cpt-addin",
        description="NCCI PTP / MUE / add-on code answers and batch claim checks from CMS data.",
        epilog=EXIT_TEXT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = _command_in(argv) if argv is not None else None
    loaded: set[str] = set()
    for name, (module_name, help_text) in COMMANDS.items():
        if argv is not None and name != wanted:
            if module_name not in loaded:  # the wanted module may have added this one already
                subparsers.add_parser(name, help=help_text, add_help=False)
            continue
        if module_name in loaded:
            continue
        module = importlib.import_module(module_name)
        # a stub added earlier for a sibling command of the same module is replaced
        for sibling, (other_module, _) in COMMANDS.items():
            if other_module == module_name and sibling in subparsers.choices:
                _drop_choice(subparsers, sibling)
        module.register(subparsers)
        loaded.add(module_name)
    return parser


def _drop_choice(subparsers, name: str) -> None:
    subparsers.choices.pop(name, None)
    subparsers._choices_actions[:] = [  # noqa: SLF001 - argparse has no public removal
        a for a in subparsers._choices_actions if a.dest != name  # noqa: SLF001
    ]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (0 ok, 1 errors found, 2 failure)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CptAddinError as exc:
        print(f"cpt-addin: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
