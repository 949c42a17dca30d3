from django.urls import path

from . import alert_views

app_name = "alerts"
urlpatterns = [
    path("", alert_views.alert_list, name="list"),
    path("<int:alert_id>/", alert_views.alert_open, name="open"),
]
