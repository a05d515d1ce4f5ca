"""Revenue domain (Bapenda): tax and levy extracts to PAD marts."""
