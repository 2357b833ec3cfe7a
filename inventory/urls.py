from django.urls import path

from . import views

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
]
