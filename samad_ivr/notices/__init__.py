"""Public notice of duty sessions: texts, the iCalendar feed and citizens' sign-ups."""
