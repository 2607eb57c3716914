"""Kommunalmatch matching engine: pure Python + numpy/scikit-learn/networkx.

Never imports Flask or SQLAlchemy. Input: arrays and plain dataclasses; output: the same.
"""
