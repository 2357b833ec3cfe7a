from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from . import dids, resources, views

app_name = "api"


class Router(DefaultRouter):
    """DRF's router with the project's URL names: ``api:did_list``, ``api:did_detail``,
    ``api:did_set_status`` (``<model>_<action>``, as every app names its URLs)."""

    routes = [route._replace(name=route.name.replace("-", "_")) for route in DefaultRouter.routes]
    root_view_name = "api_root"
    include_format_suffixes = False  # JSON only: no dids.json twins of every URL


router = Router()
router.register("dids", dids.DIDViewSet, basename="did")
router.register("operators", resources.OperatorViewSet, basename="operator")
router.register("resellers", resources.ResellerViewSet, basename="reseller")
router.register("clients", resources.ClientViewSet, basename="client")
router.register("accounts", resources.AccountViewSet, basename="account")
router.register("packages", resources.PackageViewSet, basename="package")
router.register("subscriptions", resources.SubscriptionViewSet, basename="subscription")
router.register("jobs", resources.JobViewSet, basename="job")
router.register("imports", resources.ImportViewSet, basename="import")
router.register("audit", resources.AuditViewSet, basename="audit")

# Swagger UI and Redoc come from drf-spectacular-sidecar, served by the app (no CDN). They
# set styles from their own scripts, which the site's CSP allows on these two pages only.
docs_csp = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})

urlpatterns = [
    path("route/<str:number>", views.route, name="route"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/", docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"
    ),
    path(
        "redoc/",
        docs_csp(
            SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")
        ),
        name="redoc",
    ),
    path("", include(router.urls)),
]

# The API tokens pages (under /tokens/, config/urls.py): a user's own tokens.
token_patterns = [
    path("", views.token_list, name="token_list"),
    path("<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
