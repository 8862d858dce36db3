"""Turns a question into a grounded answer object with verifiable citations."""
