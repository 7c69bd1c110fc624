"""python -m handlers.nlu: same as handlers.nlu.cli_main."""

import sys

from .cli_main import main

sys.exit(main())
