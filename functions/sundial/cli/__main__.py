"""`python -m sundial.cli ...`, as the e2e tests start `sundial local`."""

import sys

from sundial.cli.app import main

sys.exit(main())
