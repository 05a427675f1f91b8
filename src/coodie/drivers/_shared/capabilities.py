"""A backend's capabilities, declared by what it lacks and why."""

from __future__ import annotations

import dataclasses
from typing import Any

from coodie.drivers.base import Capabilities


def lacking(**reasons: str) -> Capabilities:
    """The capabilities of a backend that lacks exactly the named ones, each with the reason why.

    (Every ``False`` of :class:`~coodie.drivers.base.Capabilities` must have a reason
    in ``gaps``; naming each once keeps the two from drifting apart.)
    """
    flags: dict[str, Any] = dict.fromkeys(reasons, False)
    return dataclasses.replace(Capabilities(gaps=tuple(reasons.items())), **flags)
