"""Procedurally rendered few-shot video datasets with exact ground truth (keypoints, labels, optical flow)."""
