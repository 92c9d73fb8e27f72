"""The DEMO model: motion adapter + causal LM, two-stage training and batched inference."""
