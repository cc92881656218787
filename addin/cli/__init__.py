"""The ``cpt-addin`` command: one sub-command module per job, registered here."""

from __future__ import annotations

import argparse
import importlib
import sys

from addin.errors import CptAddinError

# Each module defines ``register(subparsers)`` and sets ``func`` on its parsers.
COMMAND_MODULES = [
    "addin.cli.lookup_cmd",
    "addin.cli.data_cmd",
    "addin.cli.check_cmd",
    "addin.cli.rules_cmd",
    "addin.cli.excel_cmd",
    "addin.cli.suggest_cmd",
    "addin.cli.template_cmd",
    "addin.cli.serve_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="cpt-addin",
        description="NCCI PTP / MUE / add-on code answers and batch claim checks from CMS data.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # command not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (0 ok, 1 errors found, 2 failure)."""
    parser = build_parser()
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
