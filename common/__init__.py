"""What every stage shares: the one settings object and the one error base."""
