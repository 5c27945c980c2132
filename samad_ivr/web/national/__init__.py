"""The national office (/national): search, playback, listen-in, dashboard, audit."""
