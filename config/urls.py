from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from services.directory import two_factor_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("account/2fa/enrol/", two_factor_views.enrol, name="two-factor-enrol"),
    path("sms/", include("services.notify.urls")),
    path("alerts/", include("services.notify.alert_urls")),
    path("api/routing/", include("services.routing.urls")),
    path("api/v1/", include("services.intake.rest.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script from a URL, not inline, so a strict CSP allows it.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("intake/", include("services.intake.urls")),
    path("open311/v2/", include("services.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("frontend.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Under /api/ every error is problem details (services/problems.py), the unknown address too.
handler404 = "config.edge.not_found"
handler500 = "config.edge.server_error"
