"""Reading image stacks lazily and converting their frames for display and SAM2."""

from .contrast import percentile_limits, to_uint8
from .stack import Stack, open_stack

__all__ = ["Stack", "open_stack", "percentile_limits", "to_uint8"]
