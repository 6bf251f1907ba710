"""Real photos and videos as model inputs, offline: body pose and face landmarks with mediapipe's bundled models,
label maps for streets, framing, temporal smoothing, motion-transfer normalisation, and the preparation of a real
video as a training clip in the dataset layout.

Importing this package is cheap: mediapipe is only imported when a detector is created (``backend.mediapipe``).
The per-frame converters live in ``converters`` (used for example photos and driving videos alike); ``prepare``
writes a real video as a dataset.
"""
