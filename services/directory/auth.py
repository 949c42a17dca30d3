"""Login throttling (django-axes) that leaves code paths without a request alone."""

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses logins from a locked-out username + address; authenticates no one itself.

    Every login form (the admin's included) passes the request. Calls without one (Django's
    test client `login`, management commands) cannot be attributed to an address, so they are
    not counted rather than crashing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
