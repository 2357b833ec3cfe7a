from django.db import models

from config.limits import NAME_MAX, length_message


class Client(models.Model):
    reseller = models.ForeignKey(
        "accounts.Reseller", on_delete=models.PROTECT, related_name="clients"
    )
    name = models.CharField(
        max_length=NAME_MAX,
        error_messages={"max_length": length_message("Name", NAME_MAX)},
    )

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
    name = models.CharField(
        max_length=NAME_MAX,
        error_messages={"max_length": length_message("Name", NAME_MAX)},
    )

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
