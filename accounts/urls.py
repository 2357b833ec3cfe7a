from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.reseller_list, name="reseller_list"),
    path("new/", views.reseller_create, name="reseller_add"),
    path("admins/new/", views.admin_create, name="admin_add"),
    path("<int:pk>/", views.reseller_detail, name="reseller_detail"),
    path("<int:pk>/users/new/", views.user_create, name="user_add"),
]
