from . import deadlines, rules  # noqa: F401  (registers the admin classes)
