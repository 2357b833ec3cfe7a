from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.subscription_list, name="subscription_list"),
    path("new/", views.subscription_create, name="subscription_add"),
    path("<int:pk>/cancel/", views.subscription_cancel, name="subscription_cancel"),
    path("<int:pk>/reactivate/", views.subscription_reactivate, name="subscription_reactivate"),
]
