"""PRODUCT.md's status sets, written out by hand and independently of ``inventory.lifecycle``,
for the tests that check the lifecycle against PRODUCT.md."""

from inventory.choices import Status

S = Status

# "Statuses": reserved, in_stock and archive are not assigned; active, blocked and on_hold are.
UNASSIGNED = frozenset({S.RESERVED, S.IN_STOCK, S.ARCHIVE})
ASSIGNED = frozenset({S.ACTIVE, S.BLOCKED, S.ON_HOLD})
# "Lifecycle": the DID(s) field of New DIDs and the import start unassigned DIDs.
INITIAL = UNASSIGNED
# "A DID that is assigned (active, blocked, on_hold) cannot be deleted."
DELETABLE = UNASSIGNED
# "in_stock | active | assign to an account of a client".
ASSIGNABLE = frozenset({S.IN_STOCK})
# "Only active DIDs are routable."
ROUTABLE = frozenset({S.ACTIVE})
# "DIDs linked to a subscription (active, blocked, on_hold) count against its package's
# allowance."
COUNTED_AGAINST_ALLOWANCE = frozenset({S.ACTIVE, S.BLOCKED, S.ON_HOLD})
# "active / blocked | on_hold | hold; or the subscription is cancelled or expires".
HOLDABLE = frozenset({S.ACTIVE, S.BLOCKED})
# "on_hold | its after-hold status | hold_until passed, or release now".
RELEASABLE = frozenset({S.ON_HOLD})
