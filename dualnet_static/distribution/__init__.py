"""paddle.distribution (imported lazily as `paddle.distribution`)."""
