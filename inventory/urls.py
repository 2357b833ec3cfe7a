from django.urls import path

from . import views, views_export, views_saved

app_name = "inventory"

urlpatterns = [
    path("", views.DIDListView.as_view(), name="did_list"),
    path("new/", views.did_new, name="did_add"),
    path("mass-edit/", views.DIDBulkEditView.as_view(), name="did_bulk_edit"),
    path("<int:pk>/", views.DIDEditView.as_view(), name="did_detail"),
    path("<int:pk>/assign/", views.did_assign, name="did_assign"),
    path("<int:pk>/release/", views.did_release, name="did_release"),
    path("<int:pk>/delete/", views.DIDDeleteView.as_view(), name="did_delete"),
    path("<int:pk>/history/", views.did_history, name="did_history"),
    path("export/", views_export.did_export, name="did_export"),
    path("columns/", views_saved.did_columns, name="did_columns"),
    path("searches/", views_saved.saved_search_list, name="saved_search_list"),
    path("searches/<int:pk>/", views_saved.saved_search_open, name="saved_search_open"),
    path(
        "searches/<int:pk>/rename/",
        views_saved.saved_search_rename_view,
        name="saved_search_rename",
    ),
    path(
        "searches/<int:pk>/delete/",
        views_saved.saved_search_delete_view,
        name="saved_search_delete",
    ),
]
