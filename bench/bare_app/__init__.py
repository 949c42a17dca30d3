"""A bare Django application outside the project: the ceiling the submission is measured
against (bench/servers.py). No installed apps, no middleware, no templates: one view writing
two rows in one transaction, on the same database, pool and server as the project."""
