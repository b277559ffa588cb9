"""What the playground reads from its environment: where projects are kept and the largest
data file it reads.

A module of its own, importing no data library, so that `playground serve` knows both
before the store and the data readers (pandas, SQLAlchemy, the spec's models) load.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

HOME_VARIABLE = "PLAYGROUND_HOME"
UPLOAD_LIMIT_VARIABLE = "PLAYGROUND_MAX_UPLOAD_MB"
DEFAULT_UPLOAD_LIMIT_MB = 200


class DataError(ValueError):
    """A data file that cannot be used, with a message a person can act on."""


def playground_home() -> Path:
    """`$PLAYGROUND_HOME`, or `~/.playground`."""
    return Path(os.environ.get(HOME_VARIABLE) or Path.home() / ".playground").expanduser()


def max_upload_bytes() -> int:
    """The largest data file the playground reads: $PLAYGROUND_MAX_UPLOAD_MB, else 200 MB."""
    given = os.environ.get(UPLOAD_LIMIT_VARIABLE, "").strip()
    if not given:
        return DEFAULT_UPLOAD_LIMIT_MB * 2**20
    try:
        megabytes = float(given)
    except ValueError:
        megabytes = math.nan
    if not (math.isfinite(megabytes) and megabytes > 0):
        raise DataError(
            f"{UPLOAD_LIMIT_VARIABLE}={given!r}: the size limit is a number of megabytes, "
            "e.g. 500"
        )
    return int(megabytes * 2**20)
