"""The central server: enrollment, devices, the change log, merge, and bundles.

``create_app(settings)`` builds the HTTP app (app.py); ``Hub`` (hub.py) is the
service behind it, which the ``server`` commands also use directly, so a hub
can import and export USB bundles with or without the HTTP server running.
The server never imports storage/: it has its own database layer (db.py).
"""
