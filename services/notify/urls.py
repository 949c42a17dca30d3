from django.urls import path

from . import webhooks

app_name = "notify"
urlpatterns = [
    path("inbound/", webhooks.inbound_sms, name="inbound"),
    path("status/", webhooks.delivery_status, name="status"),
    # Aliyun's 消息回执 push: SmsReport (delivery) and SmsUp (replies), per tenant and secret.
    path(
        "aliyun/<int:tenant_id>/<str:secret>/report/",
        webhooks.aliyun_report,
        name="aliyun_report",
    ),
    path("aliyun/<int:tenant_id>/<str:secret>/up/", webhooks.aliyun_reply, name="aliyun_up"),
]
