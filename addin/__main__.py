"""``python -m addin`` runs the command line."""

import sys

from addin.cli import main

sys.exit(main())
