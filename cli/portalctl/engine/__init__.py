"""The embedded portal: every rule of the product, on one SQLite file. Never prints, never talks HTTP."""
