"""The benchmark's baseline for the inventory list: Django's own admin changelist of DIDs.

Registered view-only: every change to a DID goes through ``inventory.lifecycle`` and
``inventory.services`` (which write the audit log), never through the admin's forms.
"""

from django.contrib import admin

from inventory.models import DID

if not admin.site.is_registered(DID):

    @admin.register(DID)
    class BenchDIDAdmin(admin.ModelAdmin):
        list_display = ("number", "status", "operator", "reseller", "tag", "client", "account")
        list_filter = ("status",)
        search_fields = ("^number",)

        def has_add_permission(self, request):
            return False

        def has_change_permission(self, request, obj=None):
            return False

        def has_delete_permission(self, request, obj=None):
            return False
