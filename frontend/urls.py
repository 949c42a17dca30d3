from django.urls import path

from . import views

app_name = "frontend"
urlpatterns = [
    path("", views.home, name="home"),
    path("c/<str:token>/", views.entry_form, name="entry"),
    path("c/<str:token>/qr.svg", views.entry_qr_svg, name="entry-qr-svg"),
    path("r/<str:key>/", views.receipt, name="receipt"),
    path("s/<str:key>/", views.status, name="status"),
    path("v/<str:token>/", views.survey, name="survey"),
]
