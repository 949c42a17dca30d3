"""Heartbeats Kubernetes can see: a loop touches a file on every pass, the liveness probe reads
its age.

A process check only says the process exists; a worker stuck in a task that never returns, or a
scheduler wedged on a dead connection, exists too. Stdlib only, so the exec probe
(`python -m ops.heartbeat --max-age 60`) answers without loading Django: a probe every few
seconds on a 500m CPU limit must not cost a second of start-up each time.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# Touching the file at most this often: a worker loops every 0.3 s when idle.
MIN_INTERVAL_SECONDS = 1.0


def heartbeat_file() -> Path:
    """`HEARTBEAT_FILE`, else one file in the temporary directory (an emptyDir in k8s/)."""
    configured = os.environ.get("HEARTBEAT_FILE", "")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "gongzhima.heartbeat"


class Heartbeat:
    """What a loop calls once per pass; the file's modification time is the last beat."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or heartbeat_file()
        self._last = float("-inf")

    def beat(self) -> None:
        now = time.monotonic()
        if now - self._last < MIN_INTERVAL_SECONDS:
            return
        self.path.touch()
        self._last = now


def age(path: Path | None = None) -> float | None:
    """Seconds since the last beat, or None when the loop never beat."""
    try:
        return max(0.0, time.time() - (path or heartbeat_file()).stat().st_mtime)
    except FileNotFoundError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.heartbeat",
        description="Liveness probe: exits 1 when the loop's last heartbeat is too old.",
    )
    parser.add_argument("--max-age", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--file", type=Path, default=None, help="default: HEARTBEAT_FILE")
    options = parser.parse_args(argv)
    path = options.file or heartbeat_file()
    seconds = age(path)
    if seconds is None:
        print(f"not alive: no heartbeat at {path} yet", file=sys.stderr)
        return 1
    if seconds > options.max_age:
        print(
            f"not alive: last heartbeat {seconds:.0f}s ago (max {options.max_age:.0f}s)",
            file=sys.stderr,
        )
        return 1
    print(f"alive: last heartbeat {seconds:.1f}s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main())
