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
    path(
        "cases/<str:tracking_number>/sign-for/",
        views.SignForView.as_view(),
        name="api-case-sign-for",
    ),
    path("cases/<str:tracking_number>/return/", views.ReturnView.as_view(), name="api-case-return"),
    path(
        "cases/<str:tracking_number>/resolve/",
        views.ResolveView.as_view(),
        name="api-case-resolve",
    ),
    path("cases/<str:tracking_number>/close/", views.CloseView.as_view(), name="api-case-close"),
    path("cases/<str:tracking_number>/notes/", views.NoteView.as_view(), name="api-case-notes"),
]
