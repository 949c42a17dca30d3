"""A task for tests/ops/test_ops_shutdown.py, importable by the real worker process it starts."""

import time
from pathlib import Path

from django_tasks import task


@task(queue_name="default")
def slow_marker(path: str, seconds: float) -> str:
    """Marks its start, works for `seconds`, marks its end: shows whether it was cut short."""
    Path(f"{path}.started").write_text("")
    time.sleep(seconds)
    Path(f"{path}.finished").write_text("")
    return "finished"
