"""The platform: what one uforge-mock server is, and what it does for every answer.

Owns the `Runtime` (settings, store, clock, credential memory, rendered bodies; built by
`build_runtime` without any web framework), who is calling (`security`: Basic and API-key
authentication, entitlements), and the `edge`: the one ASGI layer around everything the server
answers, which collapses `//`, adds the `version` header and turns a vendor error or a bug into
a `uforgeError`. It may import the store, jobs and wire layers; nothing of the API or the
control plane.
"""
