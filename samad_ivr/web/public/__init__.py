"""Public pages (no login): duty sessions and sign-ups."""
