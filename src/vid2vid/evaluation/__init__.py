"""Evaluation: score generators on held-out domains and reproduce the paper's table on our synthetic benchmark."""
