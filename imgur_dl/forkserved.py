"""Imported by the fork server that starts ``--scan``'s readers, and there only: its standard error let go of.

Where the system lets it fork no more (a container's pids limit, a low ``ulimit -u``), the fork server ends with
Python's traceback of the fork refused, and a reader that cannot start its thread likewise: neither is a message of
this program's, and the run says what they mean (:mod:`imgur_dl.scanners`). The readers, forked from it, keep it:
what one meets goes to the run through its pipe.
"""

from __future__ import annotations

import sys

from imgur_dl.text import Shown

# (A stream that drops every line, not a file: one left open as the process ends would be warned of, under Python's
# development mode or -W default, on the run's own standard error.)
sys.stderr = Shown(None)
