from django.db import migrations, models

# PostgreSQL: a committed ready task wakes the workers of its queue at once (LISTEN/NOTIFY).
# One notification per queue per transaction, sent by the database when the transaction commits,
# so every way of writing a ready row (an event, a direct enqueue, a retry, a recovered task)
# wakes the workers without the writer doing anything. SQLite has no NOTIFY: workers poll.
CHANNEL = "gongzhima_tasks"
TABLE = "django_tasks_database_dbtaskresult"
CREATE = f"""
CREATE FUNCTION gongzhima_notify_ready_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- PostgreSQL folds identical notifications of one transaction into one.
    PERFORM pg_notify('{CHANNEL}', NEW.queue_name);
    RETURN NULL;
END $$;
CREATE TRIGGER gongzhima_task_ready AFTER INSERT ON {TABLE}
    FOR EACH ROW WHEN (NEW.status = 'READY') EXECUTE FUNCTION gongzhima_notify_ready_task();
CREATE TRIGGER gongzhima_task_requeued AFTER UPDATE OF status ON {TABLE}
    FOR EACH ROW WHEN (NEW.status = 'READY' AND OLD.status <> 'READY')
    EXECUTE FUNCTION gongzhima_notify_ready_task();
"""
DROP = f"""
DROP TRIGGER IF EXISTS gongzhima_task_ready ON {TABLE};
DROP TRIGGER IF EXISTS gongzhima_task_requeued ON {TABLE};
DROP FUNCTION IF EXISTS gongzhima_notify_ready_task();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    initial = True

    dependencies = [("django_tasks_database", "0021_conditional_partial_index_ordering")]

    operations = [
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[
                ("worker_id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("queues", models.CharField(max_length=200)),
                ("pid", models.PositiveIntegerField()),
                ("started_at", models.DateTimeField()),
                ("seen_at", models.DateTimeField(db_index=True)),
            ],
            options={"verbose_name": "任务进程心跳", "verbose_name_plural": "任务进程心跳"},
        ),
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
