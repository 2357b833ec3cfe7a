from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.reseller_list, name="list"),
    path("new/", views.reseller_create, name="create"),
    path("admins/new/", views.admin_create, name="admin_create"),
    path("<int:pk>/", views.reseller_detail, name="detail"),
    path("<int:pk>/users/new/", views.user_create, name="user_create"),
]
