from . import cases, catalog  # noqa: F401  (registers the admin classes)
