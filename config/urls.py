from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from api.urls import token_patterns

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("dids/", include("inventory.urls")),
    path("dids/import/", include("imports.urls")),
    path("audit/", include("audit.urls")),
    path("jobs/", include("jobs.urls")),
    path("api/v1/", include("api.urls")),
    path("tokens/", include((token_patterns, "tokens"))),
    path("django-admin/", admin.site.urls),
    path("operators/", include("operators.urls")),
    path("resellers/", include("accounts.urls")),
    path("clients/", include("clients.urls")),
    path("packages/", include("packages.urls")),
    path("subscriptions/", include("subscriptions.urls")),
]
