"""The national office: search, recording playback and live listen-in (issue #4)."""
