"""Puts the running task's id and name into the log context of a worker.

django-tasks announces every task it starts and finishes; the worker runs one task at a time
in its main thread, so the context set on start holds for exactly that task's log lines.
"""

from django_tasks.signals import task_finished, task_started

from . import context

_tokens: dict[str, tuple] = {}


def _started(sender, task_result, **kwargs) -> None:
    _tokens[task_result.id] = (
        context.task_id.set(str(task_result.id)),
        context.task_name.set(task_result.task.module_path),
    )


def _finished(sender, task_result, **kwargs) -> None:
    tokens = _tokens.pop(task_result.id, None)
    if tokens is not None:
        context.task_id.reset(tokens[0])
        context.task_name.reset(tokens[1])


def connect() -> None:
    task_started.connect(_started, dispatch_uid="ops.tasklog.started")
    task_finished.connect(_finished, dispatch_uid="ops.tasklog.finished")
