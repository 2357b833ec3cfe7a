"""One progress bar over an import run's stages (reading, checking, then each kind of write)."""

from __future__ import annotations

from collections.abc import Callable

# The stages of a run in the worker, each an equal share of its progress bar.
CHECK_STAGES = ("Reading the file", "Checking the rows")
APPLY_STAGES = (
    *CHECK_STAGES,
    "Creating DIDs",
    "Updating DIDs",
    "Changing statuses",
    "Assigning DIDs",
)


def stages_of(mode: str) -> tuple[str, ...]:
    return CHECK_STAGES if mode == "check" else APPLY_STAGES


class Staged:
    """One progress bar over a run's stages: each stage reports its rows done (of the
    file's ``rows``); the job's ``done`` is the stages before it plus that, of
    ``rows * len(stages)``, and never moves back."""

    def __init__(self, progress: Callable, rows: int, stages: tuple[str, ...]):
        self.progress = progress
        self.rows = max(rows, 1)
        self.stages = stages
        self.index = 0
        self.done = 0

    def __call__(self, done=None, stage=None, force=False):
        if stage in self.stages:
            self.index = self.stages.index(stage)
            self.done = max(self.done, self.index * self.rows)
        if done is not None:
            self.done = max(self.done, self.index * self.rows + min(done, self.rows))
        self.progress(self.done, stage, force=force)
