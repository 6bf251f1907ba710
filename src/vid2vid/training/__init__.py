"""Training: the loop, its schedule, checkpoints, distributed set-up and logging."""
