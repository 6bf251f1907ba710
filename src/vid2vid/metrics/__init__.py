"""Evaluation metrics: FID, pose error, segmentation accuracy / mIoU, PSNR / SSIM, warping error, identity drift.

Images everywhere are RGB tensors (N, 3, H, W) in [-1, 1]. The networks the metrics need are either shipped by
packages that install offline (Inception for FID, mediapipe for real video, both loaded only when first used) or small
ones we train on the synthetic data (``keypoint_net``, ``segmentation_net``); their own accuracy on held-out real
frames is measured by ``vid2vid eval detectors``.
"""

from vid2vid.metrics.fid import FeatureStats, InceptionFeatures, compute_fid, fid_from_features, fid_from_stats
from vid2vid.metrics.image_quality import psnr, ssim
from vid2vid.metrics.keypoint_net import KeypointNet, load_keypoint_net, train_keypoint_net
from vid2vid.metrics.pose_error import PoseErrorStats, detected_pose_error, pose_error
from vid2vid.metrics.segmentation import SegmentationStats, mean_iou, pixel_accuracy
from vid2vid.metrics.segmentation_net import SegmentationNet, load_segmentation_net, train_segmentation_net
from vid2vid.metrics.temporal import WarpingErrorStats, drift_curve, identity_drift, warping_error

__all__ = [
    "FeatureStats", "InceptionFeatures", "KeypointNet", "PoseErrorStats", "SegmentationNet", "SegmentationStats",
    "WarpingErrorStats", "compute_fid", "detected_pose_error", "drift_curve", "fid_from_features", "fid_from_stats",
    "identity_drift", "load_keypoint_net", "load_segmentation_net", "mean_iou", "pixel_accuracy", "pose_error", "psnr",
    "ssim", "train_keypoint_net", "train_segmentation_net", "warping_error",
]
