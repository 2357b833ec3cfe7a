from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "original_name", "user", "reseller", "status", "rows_total", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ImportJob._meta.fields]
