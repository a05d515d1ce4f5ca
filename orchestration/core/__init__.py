"""Core domain: reference dimensions and the analysts' warehouse."""
