from django.urls import path

from .views import MonthlyStatsView

app_name = "routing"
urlpatterns = [
    path("stats/", MonthlyStatsView.as_view(), name="monthly-stats"),
]
