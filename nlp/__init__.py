"""Encoder loading, batched sentiment and journey-stage classification, language id.

Arrives with issue 3; nothing here yet.
"""
