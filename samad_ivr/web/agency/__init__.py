"""The agency portal (/agency): the agency staff's requests, notices and answers."""
