from django.contrib.auth.views import LogoutView
from django.urls import path

from . import dashboard, desk, duty, views

app_name = "frontend"
urlpatterns = [
    path("", views.home, name="home"),
    path("c/<str:token>/", views.entry_form, name="entry"),
    path("c/<str:token>/qr.svg", views.entry_qr_svg, name="entry-qr-svg"),
    path("c/<str:token>/qr.png", views.entry_qr_png, name="entry-qr-png"),
    path("r/<str:key>/", views.receipt, name="receipt"),
    path("s/<str:key>/", views.status, name="status"),
    path("s/<str:key>/files/<str:token>/<str:variant>/", views.result_file, name="result-file"),
    path("status/", views.status_lookup, name="status-lookup"),
    path("v/<str:token>/", views.survey, name="survey"),
    path("desk/", desk.home, name="desk"),
    path("desk/new/<slug:scenario_code>/", desk.new_case, name="desk-new"),
    path("desk/slip/<int:case_id>/", desk.slip, name="desk-slip"),
    path("desk/lookup/", desk.lookup, name="desk-lookup"),
    path("desk/logout/", LogoutView.as_view(next_page="frontend:desk"), name="desk-logout"),
    path("duty/", duty.duty, name="duty"),
    path("duty/position/", duty.duty_position, name="duty-position"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/panels/", dashboard.dashboard_panels, name="dashboard-panels"),
    path("dashboard/map/", dashboard.dashboard_map_fragment, name="dashboard-map"),
    path("dashboard/live.json", dashboard.dashboard_live, name="dashboard-live"),
    path("dashboard/report/", dashboard.monthly_report, name="dashboard-report"),
    path("dashboard/report/entries/", dashboard.index_entries, name="index-entries"),
    path("dashboard/report/recompute/", dashboard.recompute_index, name="dashboard-recompute"),
    path(
        "dashboard/report.<str:fmt>",
        dashboard.monthly_report_file,
        name="dashboard-report-file",
    ),
]
