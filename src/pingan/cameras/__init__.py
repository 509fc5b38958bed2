"""cameras domain (视频监控, 补盲补漏): the camera registry, coverage figures, blind spots and
the siting of new cameras."""
