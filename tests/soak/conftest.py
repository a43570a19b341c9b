"""The soak harness (chaos.py) is importable by its tests and by benchmarks/soak.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
