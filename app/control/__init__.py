"""The control plane of tests and demos: the request journal, injected faults, and their HTTP
API under `/_mock` (reset, seed, clock, ticket patches), with its own OpenAPI document.

It drives the world the UForge API serves, so it may import the API, platform, store, jobs and
wire layers; the API never imports it. Only the app factory and the command line sit above it.
"""
