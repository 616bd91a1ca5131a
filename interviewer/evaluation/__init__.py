"""Measuring the product: grading against human scores (datasets, metrics, precomputed vectors, grading,
calibration_fit, pairs), retrieval, follow-ups, the model's weight, and the speed benchmarks (bench)."""
