from django.urls import path

from . import views

app_name = "imports"

# Under /dids/import/ (config/urls.py): the import is a page of the DID Inventory tab.
urlpatterns = [
    path("", views.did_import, name="did_import"),
    path("<int:pk>/columns/", views.did_import_map, name="did_import_map"),
    path("<int:pk>/", views.did_import_job, name="did_import_job"),
    path("<int:pk>/apply/", views.did_import_apply, name="did_import_apply"),
    path("<int:pk>/cancel/", views.did_import_cancel, name="did_import_cancel"),
    path("<int:pk>/names/", views.did_import_names, name="did_import_names"),
    path("<int:pk>/refused.csv", views.did_import_refused, name="did_import_refused"),
]
