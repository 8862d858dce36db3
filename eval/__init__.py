"""Turns a question set into figures: the project beside the plain LangChain baseline."""
