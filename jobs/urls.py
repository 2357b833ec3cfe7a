from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("<int:pk>/", views.job_detail, name="detail"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
]
