from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """View only: an import is started, applied and cancelled on its pages (``imports.services``),
    never edited or deleted past them and the audit log."""

    list_display = ("id", "original_name", "user", "reseller", "status", "rows_total", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
