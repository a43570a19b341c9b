"""`python -m sundial_cli ...`, as the e2e tests start `sundial local`."""

import sys

from sundial_cli.app import main

sys.exit(main())
