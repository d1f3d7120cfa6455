"""Interactive pieces a lesson embeds with ``<!-- widget: <name> -->`` (one module each, with ``render(key_prefix)``)."""
