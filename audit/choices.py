"""The audit log's choices: what an entry did to its object."""

from django.db import models


class Kind(models.IntegerChoices):
    CREATE = 1, "created"
    UPDATE = 2, "changed"
    DELETE = 3, "deleted"
