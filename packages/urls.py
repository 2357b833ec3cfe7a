from django.urls import path

from . import views

app_name = "packages"

urlpatterns = [
    path("", views.package_list, name="package_list"),
    path("new/", views.package_create, name="package_add"),
    path("<int:pk>/edit/", views.package_edit, name="package_edit"),
]
