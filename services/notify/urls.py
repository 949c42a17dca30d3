from django.urls import path

from . import webhooks

app_name = "notify"
urlpatterns = [
    path("inbound/", webhooks.inbound_sms, name="inbound"),
    path("status/", webhooks.delivery_status, name="status"),
]
