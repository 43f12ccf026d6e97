"""torch.distributions (imported lazily as `torch.distributions`)."""
