"""Reading image stacks lazily and converting their frames for display and SAM2."""

from .contrast import percentile_limits, to_uint8
from .opening import open_stack
from .stack import Stack

__all__ = ["Stack", "open_stack", "percentile_limits", "to_uint8"]
