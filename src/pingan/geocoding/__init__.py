"""Standard addresses (标准地址) and the geocoder: door plates, premises, roads and junctions
found by name (``GET /api/v1/geocode``) and by point (``GET /api/v1/geocode/reverse``)."""
