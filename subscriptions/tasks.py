from celery import shared_task

from inventory import lifecycle


@shared_task(name=lifecycle.SUBSCRIPTION_EXPIRY_TASK)
def expire_subscriptions() -> int:
    """Active subscriptions whose end date has passed expire; their DIDs go On Hold. One
    subscription that fails is logged and skipped; the others still expire."""
    return lifecycle.expire_subscriptions()
