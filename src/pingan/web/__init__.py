"""Web pages: templates, static files (front-end packages installed locally), i18n."""
