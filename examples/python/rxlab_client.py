"""Compatibility module: ``rxlab_client`` is the ``rxlab`` package's client under its old
name, plus a command that prints the server's health.

    python3 rxlab_client.py [URL]      # RXLAB_TOKEN as for rxlab.Client

New code: ``from rxlab import Client, RxlabError`` (``pip install ./examples/python``).
"""

import json
import sys

from rxlab.client import *  # noqa: F401,F403 - the old module's names
from rxlab.client import Client, RxlabError, DEFAULT_URL, _FINAL_JOB_STATES  # noqa: F401

def main(argv=None):
    """Print the server's health as JSON; exit 1 with the error on failure."""
    argv = sys.argv[1:] if argv is None else argv
    url = argv[0] if argv else None
    try:
        print(json.dumps(Client(url=url).health(), indent=2, sort_keys=True))
    except RxlabError as e:
        print("rxlab: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
