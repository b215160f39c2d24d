"""``python -m robokin``: the ``robokin`` command."""

import sys

from .cli import main

sys.exit(main())
