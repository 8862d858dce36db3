"""Turns the corpus (review text, PDF, digests) into cited passages in Chroma."""
