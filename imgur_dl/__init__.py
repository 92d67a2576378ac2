"""imgur-dl: download whole Imgur albums fast and safely."""

__version__ = "0.1.0"
