"""The xlwings licence key: where it comes from, what to say when it is missing, loading xlwings.server.

``xlwings.server`` (xlwings PRO code) is dual licensed: PolyForm Noncommercial 1.0.0 (free for
non-commercial use) or a paid commercial licence. Importing it validates ``XLWINGS_LICENSE_KEY``;
the literal key ``noncommercial`` is accepted offline. Nothing here runs at import time, so the
rest of cpt-addin (and importing this package) works without a key.
"""

from __future__ import annotations

import os
from types import ModuleType

from addin.errors import CptAddinError

LICENCE_ENV = "XLWINGS_LICENSE_KEY"
PRICING_URL = "https://www.xlwings.org/pricing"
NONCOMMERCIAL_KEY = "noncommercial"


class LicenceMissing(CptAddinError):
    """No usable xlwings licence key: the add-in server cannot start."""


def licence_key() -> str:
    """The key from the environment ("" when unset)."""
    return os.environ.get(LICENCE_ENV, "").strip()


def missing_licence_message(reason: str = "") -> str:
    """What is missing, why, and where to get a key (printed by ``cpt-addin serve``)."""
    first = reason or f"the environment variable {LICENCE_ENV} is not set."
    return "\n".join(
        [
            f"cpt-addin serve needs an xlwings licence key: {first}",
            "The add-in server is built on xlwings Server (xlwings PRO code), which is dual licensed:",
            "  - PolyForm Noncommercial 1.0.0: free for non-commercial use. Set",
            f"      export {LICENCE_ENV}={NONCOMMERCIAL_KEY}",
            "  - a commercial licence for any other use, including internal business use",
            f"    (a billing team, a practice, a hospital): buy one at {PRICING_URL} and set",
            f"      export {LICENCE_ENV}=<your key>",
            "Everything else in cpt-addin (lookups, checks, Excel functions on Windows) needs no key.",
        ]
    )


def load_xlwings_server() -> ModuleType:
    """Import ``xlwings.server`` after checking the key; raise :class:`LicenceMissing` if unusable.

    Also registers xlwings' ``officejs`` conversion engine when xlwings was imported earlier in
    this process without a key (xlwings registers it only at its own first import), so calls
    convert the same whatever imported xlwings first.
    """
    if not licence_key():
        raise LicenceMissing(missing_licence_message())
    import xlwings

    try:
        import xlwings.server as server
        from xlwings.pro import _xlofficejs
    except xlwings.LicenseError as exc:
        raise LicenceMissing(
            missing_licence_message(f"the key in {LICENCE_ENV} was refused ({exc}).")
        ) from None
    if "officejs" not in [engine.name for engine in xlwings.engines]:
        xlwings.engines.add(xlwings.Engine(impl=_xlofficejs.engine))
    return server
