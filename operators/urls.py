from django.urls import path

from . import views

app_name = "operators"

urlpatterns = [
    path("", views.OperatorListView.as_view(), name="operator_list"),
    path("new/", views.OperatorAddView.as_view(), name="operator_add"),
    path("<int:pk>/edit/", views.OperatorEditView.as_view(), name="operator_edit"),
    path("<int:pk>/delete/", views.OperatorDeleteView.as_view(), name="operator_delete"),
]
