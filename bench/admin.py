"""The benchmark's baseline for the inventory list: Django's own admin changelist of DIDs.

Registered here only if no other app has registered a ModelAdmin for DIDs.
"""

from django.contrib import admin

from inventory.models import DID

if not admin.site.is_registered(DID):

    @admin.register(DID)
    class BenchDIDAdmin(admin.ModelAdmin):
        list_display = ("number", "status", "operator", "reseller", "tag", "client", "account")
        list_filter = ("status",)
        search_fields = ("^number",)
