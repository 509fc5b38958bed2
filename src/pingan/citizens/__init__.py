"""Citizen services: online reports and tracking, Open311 GeoReport v2, complaints about police
conduct (网上督察), rental-house registration by QR code, community notices, find my officer."""
