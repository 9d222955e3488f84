"""Simulated households and traces for the demo, tests and benchmarks.

Pure (standard library and ``carbon``), seeded, with ground truth. The engine and the box's
runtime never import it, except ``selfdata demo``.
"""
