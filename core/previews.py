"""What a service says an action would do, before it is done: the delete page and the bulk edit
confirmation show it, and the service itself refuses by the same preview, so the rule is
written once (in the service)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeletePreview:
    obj: object
    refusal: str = ""  # why the delete would be refused; "" when it may go ahead
    counts: dict = field(default_factory=dict)  # what depends on the object: {"DIDs": 2}

    @property
    def allowed(self) -> bool:
        return not self.refusal
