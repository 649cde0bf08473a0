"""Downloader middlewares: the address guard and the limits on what one response may cost."""
