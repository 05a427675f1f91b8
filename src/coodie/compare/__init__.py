"""The driver comparison: which backends are installed and what they measure."""
