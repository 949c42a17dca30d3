"""绑定身份验证器: the enrolment page of 两步验证 (see two_factor.py)."""

import qrcode
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from qrcode.image.svg import SvgPathImage

from .two_factor import TOTPDevice, confirmed_device, verify


class ConfirmForm(forms.Form):
    otp_token = forms.CharField(label=_("动态验证码"), max_length=8)


def _qr_svg(text: str) -> str:
    return qrcode.make(text, image_factory=SvgPathImage).to_string(encoding="unicode")


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Shows a new authenticator's QR code and confirms it with one code from the app."""
    # OTPMiddleware gives every user is_verified().
    verified = request.user.is_verified()  # type: ignore[union-attr]
    if confirmed_device(request.user) is not None and verified:
        return redirect("admin:index")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = ConfirmForm(request.POST or None)
    if form.is_valid():
        if verify(device, form.cleaned_data["otp_token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect("admin:index")
        form.add_error("otp_token", _("动态验证码不正确，请核对手机时间后重新输入。"))
    return render(
        request,
        "directory/two_factor_enrol.html",
        {
            "form": form,
            # Our own SVG of the device's otpauth:// URL, not user input.
            "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308
            "title": _("绑定身份验证器"),
        },
    )
