"""The notebook annotator: an anywidget canvas and controls driving a Session."""

from .annotator import Annotator
from .canvas import AnnotatorCanvas
from .controller import Controller
from .messages import MessageError, parse_message

__all__ = ["Annotator", "AnnotatorCanvas", "Controller", "MessageError", "parse_message"]
