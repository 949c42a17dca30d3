from django.db import models


class WorkerHeartbeat(models.Model):
    """A running task worker (任务进程), alive while `seen_at` is recent.

    Each worker writes its row every TASK_HEARTBEAT_SECONDS from a thread of its own, so a long
    task does not silence it; a worker killed outright (SIGKILL, OOM, node loss) stops writing,
    and the tasks it held are handed back within TASK_WORKER_TIMEOUT_SECONDS.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    queues = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "任务进程心跳"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.queues})"
