"""The add-in server: the Excel functions as Office.js custom functions, a task pane and an HTTP API.

Optional (``pip install "cpt-addin[server]"``) and licence-gated: xlwings Server code needs an
xlwings licence key (``XLWINGS_LICENSE_KEY``; ``noncommercial`` for non-commercial use). Importing
the modules of this package never needs the key; only :func:`addin.server.app.create_app` does.

Layout, one job per module:

- ``config``: settings from the command line and the environment.
- ``licence``: finding the licence key, explaining what is missing, loading ``xlwings.server``.
- ``functions``: the custom functions, generated from :mod:`addin.udfs` (one definition).
- ``auth``: API key and Entra ID bearer tokens.
- ``limits``: request size limits; ``access_log``: method, path, status, duration only.
- ``xlwings_routes``: metadata, code and calls for Office.js custom functions.
- ``api``: the JSON API (code search, pair check, claim file check) for the task pane and scripts.
- ``manifest``: the Office add-in manifest XML and its icons.
- ``taskpane/``: the task pane page, script and style.
- ``app``: puts it all together (:func:`create_app`).
"""
