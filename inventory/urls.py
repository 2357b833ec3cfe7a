from django.urls import path

from . import views, views_io

app_name = "inventory"

urlpatterns = [
    path("", views.did_list, name="did_list"),
    path("new/", views.did_new, name="did_new"),
    path("mass-edit/", views.mass_edit, name="mass_edit"),
    path("<int:pk>/", views.did_detail, name="did_detail"),
    path("<int:pk>/assign/", views.did_assign, name="did_assign"),
    path("<int:pk>/release/", views.did_release, name="did_release"),
    path("<int:pk>/delete/", views.did_delete, name="did_delete"),
    path("<int:pk>/history/", views.did_history, name="did_history"),
    path("export/", views_io.did_export, name="did_export"),
    path("import/", views_io.did_import, name="did_import"),
    path("import/<int:pk>/columns/", views_io.did_import_map, name="did_import_map"),
    path("import/<int:pk>/", views_io.did_import_job, name="did_import_job"),
    path("import/<int:pk>/apply/", views_io.did_import_apply, name="did_import_apply"),
    path("import/<int:pk>/progress", views_io.did_import_progress, name="did_import_progress"),
    path("import/<int:pk>/cancel/", views_io.did_import_cancel, name="did_import_cancel"),
]
