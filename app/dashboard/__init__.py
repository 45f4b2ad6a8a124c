"""The live dashboard of demos at `/`: what the mock holds and does right now (platform and
clock, users, mySoftware, exports and imports, the request journal, faults), server-rendered
HTML (Jinja2 templates, `templates/`) kept current by a little JavaScript (`static/`) polling
the dashboard's own JSON; and, when the control API is on, its actions behind the control
token, which the page asks once and keeps in an HttpOnly cookie.

It reads the store and the control plane and calls the control plane's functions for every
change, so it may import the control, API, platform, store, jobs and wire layers; nothing
imports it but the app factory.
"""
