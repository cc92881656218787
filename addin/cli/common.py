"""Argument types and help text shared by the sub-commands.

The types import :mod:`addin.codes` (numpy) only when an argument is parsed, so building a
parser for ``--help`` stays cheap.
"""

from __future__ import annotations

import argparse

#: What each exit code means, for the help of every command.
EXIT_OK = "0 done"
EXIT_REFUSED = "2 the input or the command could not be processed (the reason is on stderr)"


def exit_codes(*lines: str) -> str:
    """An ``exit codes:`` epilog, one code a line (``"0 …"``, ``"1 …"``, ``"2 …"``)."""
    return "exit codes:\n" + "\n".join(f"  {line}" for line in lines)


def add_command(subparsers, name: str, *, help: str, exits: tuple[str, ...], **kwargs):  # noqa: A002
    """``subparsers.add_parser`` with the exit codes as epilog (kept as written)."""
    return subparsers.add_parser(
        name,
        help=help,
        description=_wrap(kwargs.pop("description", None) or _sentence(help)),
        epilog=exit_codes(*exits),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kwargs,
    )


def _wrap(text: str, width: int = 88) -> str:
    """Fill each paragraph (the raw formatter keeps the epilog's lines as written)."""
    import textwrap

    return "\n".join(textwrap.fill(part, width, break_on_hyphens=False) for part in text.split("\n"))


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def date_arg(text: str):
    """``--date`` / ``--date-default``: a date of service (ISO, US or Excel serial)."""
    from addin.codes import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def setting_arg(text: str):
    """``--setting`` as an :class:`addin.codes.Setting`."""
    from addin.codes import Setting

    try:
        return Setting.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def setting_name_arg(text: str) -> str:
    """``--setting`` as its name (``practitioner``, ``hospital``, ``dme``)."""
    return setting_arg(text).value
