from django.contrib import admin, messages
from django.template.response import TemplateResponse

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
        if not change:
            # Shown once, on the page that answers this request; only its hash is stored.
            request._api_raw_key = obj.set_new_key()
        super().save_model(request, obj, form, change)

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
        count = 0
        for token in queryset.filter(revoked=False):
            token.revoked = True
            token.save(update_fields=["revoked"])
            count += 1
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)
