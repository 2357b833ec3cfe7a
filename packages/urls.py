from django.urls import path

from . import views

app_name = "packages"

urlpatterns = [
    path("", views.PackageListView.as_view(), name="package_list"),
    path("new/", views.PackageAddView.as_view(), name="package_add"),
    path("<int:pk>/edit/", views.PackageEditView.as_view(), name="package_edit"),
]
