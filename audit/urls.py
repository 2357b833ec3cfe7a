from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.AuditListView.as_view(), name="audit_list"),
    path("change-sets/<str:change_set>/", views.ChangeSetView.as_view(), name="change_set"),
    path("change-sets/<str:change_set>/revert/", views.change_set_revert, name="change_set_revert"),
]
