"""Write report files whole or not at all.

A pipeline publishes whatever is in its reports folder, also after a failed or cancelled step: a
report cut off half-way by an interrupt or a full disk would be published as if it were the
audit. Each file is written beside its target and renamed over it in one step.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
