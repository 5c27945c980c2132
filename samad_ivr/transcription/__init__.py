"""Transcripts of call recordings: vosk in worker processes, Persian search, topics."""
