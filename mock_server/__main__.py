"""`python -m mock_server` is `uphunt-mock`."""

import sys

from .cli import main

sys.exit(main())
