"""The notebook annotator: an anywidget canvas and controls driving a Session."""

from .annotator import Annotator
from .canvas import AnnotatorCanvas
from .messages import MessageError, parse_message

__all__ = ["Annotator", "AnnotatorCanvas", "MessageError", "parse_message"]
