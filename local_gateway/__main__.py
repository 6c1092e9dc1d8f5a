"""``python -m local_gateway serve|admin …``: run the gateway and operate it."""

from __future__ import annotations

import sys

from local_gateway.cli import main

if __name__ == "__main__":
    sys.exit(main())
