"""One loader per input format; ``inference.load`` picks one and makes the Document."""
from .base import CellSpec, LoadError, TextBuilder  # noqa: F401
