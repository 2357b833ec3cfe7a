from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.ClientListView.as_view(), name="client_list"),
    path("new/", views.ClientAddView.as_view(), name="client_add"),
    path("<int:pk>/", views.client_detail, name="client_detail"),
    path("<int:pk>/edit/", views.ClientEditView.as_view(), name="client_edit"),
    path("<int:pk>/delete/", views.ClientDeleteView.as_view(), name="client_delete"),
    path("accounts/<int:pk>/edit/", views.AccountEditView.as_view(), name="account_edit"),
    path("accounts/<int:pk>/delete/", views.AccountDeleteView.as_view(), name="account_delete"),
    path("<int:pk>/accounts/new/", views.AccountAddView.as_view(), name="account_add"),
    path(
        "<int:pk>/subscriptions/new/",
        views.ClientSubscriptionAddView.as_view(),
        name="subscription_add",
    ),
    path("<int:pk>/dids/", views.client_dids, name="client_dids"),
    path("<int:pk>/dids/assign/", views.assign, name="client_assign"),
    path("<int:pk>/dids/bulk/", views.did_bulk_action, name="did_bulk"),
    path("<int:pk>/dids/<int:did>/block/", views.did_action, {"action": "block"}, name="did_block"),
    path(
        "<int:pk>/dids/<int:did>/activate/",
        views.did_action,
        {"action": "activate"},
        name="did_activate",
    ),
    path("<int:pk>/dids/<int:did>/hold/", views.did_action, {"action": "hold"}, name="did_hold"),
    path(
        "<int:pk>/dids/<int:did>/release/",
        views.did_action,
        {"action": "release"},
        name="did_release",
    ),
]
