"""cpt-addin: NCCI edits, MUEs, add-on codes and fee-schedule facts for Excel and batch checks."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "check", "reference_data"]


def reference_data():
    """The process-wide :class:`addin.reference.ReferenceData` (loaded on first use)."""
    from addin.reference import get_reference_data

    return get_reference_data()


def check(source, **options):
    """Check claims (a path or a DataFrame) and return the findings as a DataFrame.

    See :func:`addin.checker.check` for the options.
    """
    from addin.checker import check as _check

    return _check(source, **options).findings
