"""The click command tree: one module per group. Commands parse options, call the client and render."""
