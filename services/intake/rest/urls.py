from django.urls import path

from . import views

app_name = "intake-api"

urlpatterns = [
    path("entry-points/<str:token>/", views.EntryPointView.as_view(), name="api-entry-point"),
    path(
        "entry-points/<str:token>/cases/",
        views.EntryPointSubmissionView.as_view(),
        name="api-entry-point-submit",
    ),
    path("cases/", views.CaseListView.as_view(), name="api-cases"),
    path("cases/<str:tracking_number>/", views.CaseDetailView.as_view(), name="api-case"),
]
