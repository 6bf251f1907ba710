"""Street segmentation given as label maps (PNG frames or a video) -> our 20 label ids (``data.labels``).

Accepted encodings, decided once from the first frame (so one clip is never read two ways):
- gray ids 0..19: our ids as they are;
- gray Cityscapes trainIds (0..18, 255 = ignore): 255 becomes ``UNLABELED``;
- gray Cityscapes labelIds (0..33): mapped to trainIds, the rest ``UNLABELED``;
- colour-coded frames (Cityscapes palette, as ``labels.colorize_labels`` draws them): each pixel takes the id of the
  nearest palette colour, which also undoes video compression noise.
"""

from __future__ import annotations

import numpy as np

from vid2vid.data.labels import NUM_STREET_LABELS, STREET_COLORS, UNLABELED
from vid2vid.errors import UserError

# Cityscapes labelId -> our id (= Cityscapes trainId); unlisted labelIds are UNLABELED.
CITYSCAPES_LABEL_IDS = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12,
                        26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
_GRAY_TOLERANCE = 6  # channels within this of each other count as a gray frame (video compression)


def _lut(pairs: dict[int, int]) -> np.ndarray:
    lut = np.full(256, UNLABELED, np.uint8)
    for k, v in pairs.items():
        lut[k] = v
    return lut


LUTS = {
    "ids": _lut({i: i for i in range(NUM_STREET_LABELS)}),
    "train_ids": _lut({**{i: i for i in range(19)}, 255: UNLABELED}),
    "label_ids": _lut(CITYSCAPES_LABEL_IDS),
}


def detect_encoding(frame: np.ndarray, name: str = "the label map") -> str:
    """"ids", "train_ids", "label_ids" or "color" for an (H, W) or (H, W, 3) uint8 label frame."""
    frame = np.asarray(frame)
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim == 3:
        spread = frame.max(axis=2).astype(np.int16) - frame.min(axis=2)
        if (spread > _GRAY_TOLERANCE).mean() > 0.001:
            return "color"
        frame = frame[:, :, 0]
    values = np.unique(frame)
    if values.max() < NUM_STREET_LABELS:
        return "ids"
    if set(values.tolist()) <= set(range(19)) | {255}:
        return "train_ids"
    if values.max() <= 33:
        return "label_ids"
    raise UserError(f"{name}: gray values up to {int(values.max())} are not label ids (expected ids 0..19, Cityscapes "
                    "trainIds 0..18/255 or labelIds 0..33) nor a colour-coded Cityscapes map")


def palette_ids(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 colour-coded labels -> (H, W) uint8 ids of the nearest palette colour."""
    flat = rgb.reshape(-1, 3)
    packed = (flat[:, 0].astype(np.int32) << 16) | (flat[:, 1].astype(np.int32) << 8) | flat[:, 2]
    colours, inverse = np.unique(packed, return_inverse=True)
    cols = np.stack([(colours >> 16) & 255, (colours >> 8) & 255, colours & 255], 1).astype(np.float32)
    d = ((cols[:, None, :] - STREET_COLORS[None].astype(np.float32)) ** 2).sum(-1)
    return np.argmin(d, axis=1).astype(np.uint8)[inverse].reshape(rgb.shape[:2])


class LabelMapReader:
    """Turns label frames into ids (H, W) uint8, with the encoding fixed by the first frame it sees."""

    def __init__(self, name: str = "the label map", encoding: str | None = None) -> None:
        self.name = name
        self.encoding = encoding

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        frame = np.asarray(frame)
        if self.encoding is None:
            self.encoding = detect_encoding(frame, self.name)
        if self.encoding == "color":
            if frame.ndim != 3 or frame.shape[2] != 3:
                raise UserError(f"{self.name}: a gray frame in a colour-coded label sequence")
            return palette_ids(frame)
        gray = frame[:, :, 0] if frame.ndim == 3 else frame
        return LUTS[self.encoding][gray]
