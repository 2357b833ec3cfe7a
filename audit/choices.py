"""The audit log's choices: what an entry did to its object."""

from django.db import models


class Kind(models.IntegerChoices):
    """What an audit entry records happened to its object."""

    CREATE = 1, "created"
    UPDATE = 2, "changed"
    DELETE = 3, "deleted"
