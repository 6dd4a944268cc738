"""serlib: speech emotion recognition, taught in notebooks."""
__version__ = "0.1.0"
