from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.SubscriptionListView.as_view(), name="subscription_list"),
    path("new/", views.SubscriptionAddView.as_view(), name="subscription_add"),
    path("<int:pk>/edit/", views.SubscriptionEditView.as_view(), name="subscription_edit"),
    path(
        "<int:pk>/cancel/",
        views.subscription_action,
        {"action": "cancel"},
        name="subscription_cancel",
    ),
    path(
        "<int:pk>/reactivate/",
        views.subscription_action,
        {"action": "reactivate"},
        name="subscription_reactivate",
    ),
]
