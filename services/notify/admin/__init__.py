"""Notify in the admin: the outbox and replies (read-only records), surveys, and what tenant
administrators set up — SMS settings, templates with a preview, opt-outs."""

from . import outbox, setup, surveys  # noqa: F401  (registers the model admins)
