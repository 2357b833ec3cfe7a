from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_create, name="create"),
    path("<int:pk>/cancel/", views.subscription_cancel, name="cancel"),
    path("<int:pk>/reactivate/", views.subscription_reactivate, name="reactivate"),
]
