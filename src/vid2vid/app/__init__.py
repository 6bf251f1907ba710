"""`vid2vid app`: a local web page to animate a photo or a synthetic sample with a checkpoint (server.py)."""
