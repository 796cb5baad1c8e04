"""Allow ``python -m geosoc``."""

import sys

from geosoc.cli import main

sys.exit(main())
