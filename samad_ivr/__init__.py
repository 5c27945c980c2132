"""samad-ivr: the Samad citizen hotline (111) on Asterisk 22 with an async FastAGI core."""
