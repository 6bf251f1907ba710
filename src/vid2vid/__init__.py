"""vid2vid: few-shot video-to-video synthesis on CPU or GPU, with built-in synthetic data."""

__version__ = "0.1.0"
