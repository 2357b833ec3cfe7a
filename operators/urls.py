from django.urls import path

from . import views

app_name = "operators"

urlpatterns = [
    path("", views.operator_list, name="list"),
    path("new/", views.operator_create, name="create"),
    path("<int:pk>/delete/", views.operator_delete, name="delete"),
]
