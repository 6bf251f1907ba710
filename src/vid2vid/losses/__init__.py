"""Losses: small functions returning unweighted terms; ``training.objective`` weights and logs them in one place."""
