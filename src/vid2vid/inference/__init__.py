"""Inference: the Pipeline object, test-time finetuning, video generation and the demo."""
