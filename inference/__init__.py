"""govie inference: structured, checkable data from government information-disclosure
annual reports. ``from inference import Extractor``."""
__version__ = "0.1.0"


def __getattr__(name):  # lazy, so that ``import inference`` stays light
    if name == "Extractor":
        from .api import Extractor

        return Extractor
    raise AttributeError(name)
