from django.db import models

from core.fields import name_field


class Client(models.Model):
    reseller = models.ForeignKey(
        "accounts.Reseller", on_delete=models.PROTECT, related_name="clients"
    )
    name = name_field()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "name"], name="client_name_unique_per_reseller"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="accounts")
    name = name_field()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "name"], name="account_name_unique_per_client"
            )
        ]

    def __str__(self) -> str:
        # The label used across the product: "Client name | account_name".
        return f"{self.client.name} | {self.name}"
