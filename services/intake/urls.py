from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("photos/<str:token>/<str:variant>.jpg", views.photo, name="photo"),
    path("results/<str:token>/<str:variant>/", views.result_file, name="result-file"),
]
