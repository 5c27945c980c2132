"""Open311 GeoReport v2, read only: /open311/v2/services and /open311/v2/requests."""
