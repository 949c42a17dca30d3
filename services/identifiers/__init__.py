"""Identifiers citizens and staff type: one parser module each, the one place that says what
a spelling of an identifier means.

`phones` (手机号码) and `tracking_numbers` (受理编号). Rate limits (config/edge.py), lookups
(status page, desk, admin searches, SMS replies, the API) and storage all ask these modules for
the normalised value and use nothing else, so one number has one key everywhere. They depend on
nothing of the project, so every service and the edge may use them.
"""
