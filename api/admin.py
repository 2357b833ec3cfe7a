"""API tokens in the Django admin. Its saves, deletes and the revoke action go through
``api.services``, which write the audit log."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from audit.services import Actor

from . import services
from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "reseller", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked", "reseller")
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    fields = ("name", "reseller", "revoked", "prefix", "created_at", "last_used_at")
    actions = ("revoke",)

    def save_model(self, request, obj, form, change):
        raw = services.token_save(obj, actor=Actor.for_user(request.user))
        if raw is not None:
            # Shown once, on the page that answers this request; only its hash is stored.
            request._api_raw_key = raw

    def delete_model(self, request, obj):
        services.token_delete(obj, actor=Actor.for_user(request.user))

    def delete_queryset(self, request, queryset):
        actor = Actor.for_user(request.user)  # one change set for the whole deletion
        for token in queryset:
            services.token_delete(token, actor=actor)

    def response_add(self, request, obj, post_url_continue=None):
        raw = getattr(request, "_api_raw_key", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "API token created",
            "opts": self.model._meta,
            "token": obj,
            "raw_key": raw,
        }
        return TemplateResponse(request, "api/token_created.html", context)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        actor = Actor.for_user(request.user)  # one change set for the whole action
        count = sum(services.token_revoke(t, actor=actor) for t in queryset.filter(revoked=False))
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)
