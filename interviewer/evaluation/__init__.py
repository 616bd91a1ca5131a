"""Measuring the product: grading, retrieval, follow-up and model-weight evaluations, and the speed benchmarks."""
