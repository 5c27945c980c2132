"""The center desk (/desk): screen pop, note form, queue board, browser softphone."""
