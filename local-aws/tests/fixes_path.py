"""Puts local-aws/ on sys.path, so that `import fixes` finds the package whichever directory unittest runs from
(`python3 -m unittest discover -s local-aws/tests` from the repository, `-s tests` from local-aws/)."""

import sys
from pathlib import Path

LOCAL_AWS = str(Path(__file__).resolve().parents[1])
if LOCAL_AWS not in sys.path:
    sys.path.insert(0, LOCAL_AWS)
