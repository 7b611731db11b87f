"""moto_server with what our stacks need from AWS and moto 5.2 lacks, restored at startup.

Run as `python3 local-aws/moto_server.py -H 127.0.0.1 -p 5055` (local-aws/adapters/emulator.ts does). The fixes
live in local-aws/fixes/, one module each (fixes/__init__.py lists them); each makes moto answer as AWS does for
calls the AWS provider makes; without them the provider retries a missing action until it times out, or plans a
change on every run. docs/local-aws-internals.md ("moto and its fixes") lists them with what they restore.
"""

import sys

from moto.server import main

# The launcher's own directory is on sys.path when it runs as a script.
import fixes

fixes.install()

if __name__ == "__main__":
    sys.exit(main())
