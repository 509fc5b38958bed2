"""Coverage service: unit recommendations, 1-3-5 minute coverage reports, the OGC coverage
collections and siting runs. Layers: views → flows → service → data | schemas."""
