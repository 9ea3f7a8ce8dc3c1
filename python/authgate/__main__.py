"""``python -m authgate``: the authgate command-line tool, without cargo or a separate binary.

The same tool as the ``authgate`` binary of the C SDK (``python -m authgate --help``). Its
wire trace (``--trace``) and log records (``-v``) reach Python's ``logging``; here they are
written to standard error.
"""

import logging
import signal
import sys

from . import _native


def main() -> int:
    argv = sys.argv[1:]
    if "--trace" in argv or any(a.startswith("-v") and set(a[1:]) == {"v"} or a == "--verbose" for a in argv):
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s", stream=sys.stderr)
    else:
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr)
    # A command-line tool stops at once on Ctrl-C, as the native binary does.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return int(_native.cli_main(["authgate", *argv]))


if __name__ == "__main__":
    sys.exit(main())
