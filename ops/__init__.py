"""Operating the service: health probes, Prometheus metrics, JSON logs with request ids.

It observes the services from outside: it reads their public api modules and the task queue's
table, never their models, and the services use nothing of it but `ops.context` (and the
scheduler `ops.heartbeat` and `ops.singleton`).
"""
