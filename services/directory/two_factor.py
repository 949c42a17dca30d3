"""两步验证: a TOTP code (django-otp) on top of the password, for the roles a tenant requires.

Whether someone needs it is the policy's (policy.requires_two_factor, over the tenant's
two_factor_roles). Such a staff member with an authenticator logs in with password and code;
one without is let in by the password only as far as the enrolment page, and every other
page sends them there until a code from the new authenticator has been confirmed.
"""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import policy
from .models import Tenant
from .staff import staff_info


def two_factor_required(user) -> bool:
    """Whether `user`'s tenant requires a TOTP code of their role."""
    if not user.is_authenticated or user.is_superuser:
        return False
    info = staff_info(user)
    if info is None:
        return False
    roles = Tenant.objects.filter(pk=info.tenant_id).values_list("two_factor_roles", flat=True)
    return policy.requires_two_factor(info, roles.first() or [])


def session_verified(user, session) -> bool:
    """Whether a connection that has the session but not django-otp's middleware (the
    dashboard's websocket) may proceed: 两步验证 not required, or done in this session."""
    if not two_factor_required(user):
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is not None and device.user_id == user.pk


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def verify(device: TOTPDevice, token: str) -> bool:
    """Checks a code, within django-otp's throttling of repeated failures."""
    allowed, _details = device.verify_is_allowed()
    return bool(allowed and token and device.verify_token(token.strip()))


class TwoFactorLoginForm(AdminAuthenticationForm):
    """The admin login: password, and the authenticator's code where the role requires it."""

    otp_token = forms.CharField(
        label=_("动态验证码"),
        required=False,
        max_length=8,
        help_text=_("已绑定身份验证器的，请输入其上显示的 6 位数字"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        user = self.get_user()
        if user is None or not two_factor_required(user):
            return data
        device = confirmed_device(user)
        if device is None:
            return data  # enrols next (TwoFactorMiddleware)
        token = data.get("otp_token") or ""
        if not token.strip():
            raise ValidationError(
                _("您的角色需要两步验证：请输入身份验证器上显示的 6 位动态码。"),
                code="otp_required",
            )
        if not verify(device, token):
            raise ValidationError(_("动态验证码不正确或已过期，请重新输入。"), code="otp_invalid")
        user.otp_device = device  # type: ignore[attr-defined]  # django-otp marks the session verified on login
        return data


EXEMPT_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics", "/i18n/")


class TwoFactorMiddleware:
    """Keeps a staff member whose role requires 两步验证 out of every page until the session
    is verified: to enrolment without an authenticator, to a fresh login with one."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(EXEMPT_PREFIXES)
            and request.path not in (reverse("two-factor-enrol"), reverse("admin:logout"))
            and two_factor_required(user)
        ):
            if confirmed_device(user) is None:
                return redirect("two-factor-enrol")
            logout(request)
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)
