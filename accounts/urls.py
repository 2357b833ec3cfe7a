from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.ResellerListView.as_view(), name="reseller_list"),
    path("new/", views.ResellerAddView.as_view(), name="reseller_add"),
    path("admins/new/", views.AdminAddView.as_view(), name="admin_add"),
    path("<int:pk>/", views.reseller_detail, name="reseller_detail"),
    path("<int:pk>/edit/", views.ResellerEditView.as_view(), name="reseller_edit"),
    path("users/<int:pk>/edit/", views.UserEditView.as_view(), name="user_edit"),
    path("<int:pk>/users/new/", views.UserAddView.as_view(), name="user_add"),
]
