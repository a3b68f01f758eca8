"""jsksh: a JavaScript kernel you can boot, attach to and take apart."""

__version__ = "0.1.0"
