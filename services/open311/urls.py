from django.urls import re_path

from . import views

app_name = "open311"

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(rf"^discovery{FORMAT}", views.discovery, name="discovery"),
    re_path(rf"^services{FORMAT}", views.services, name="services"),
    re_path(rf"^services/(?P<code>[-\w]+){FORMAT}", views.service_definition, name="service"),
    re_path(rf"^requests{FORMAT}", views.service_requests, name="requests"),
    re_path(
        rf"^requests/(?P<service_request_id>[^/]+?){FORMAT}", views.service_request, name="request"
    ),
    re_path(rf"^tokens/(?P<token>[^/]+?){FORMAT}", views.token, name="token"),
]
