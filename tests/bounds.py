"""Values past the bounds of ``config.limits`` and the messages that refuse them, shared by
the bounds tests."""

from config import limits

HUGE = [3_651, 2_000_000_000, 2_147_483_647, 10**12]
LONG_NAME = "n" * (limits.NAME_MAX + 1)
LONG_NOTES = "x" * (limits.NOTES_MAX + 1)
LONG_TAG = "t" * (limits.TAG_MAX + 1)
HOLD_DAYS_MSG = "Hold days: enter a whole number from 0 to 3,650."
ALLOWANCE_MSG = "DID allowance: enter a whole number from 0 to 10,000,000."
NAME_MSG = "Name: at most 150 characters."
NOTES_MSG = "Notes: at most 1,000 characters."
TAG_MSG = "Tag: at most 64 characters."
