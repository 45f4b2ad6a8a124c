"""The wire format: what the contract (CONTRACT.md, the vendor's XSD) says a response is.

Owns the wire objects (one dataclass per XSD type, `schemas`), their XML and JSON renderers
(`render`), content negotiation, conditional requests (ETag, 304), content digests, the vendor
errors (`uforgeError`) and the `Response`s built from all of these. It knows nothing of the
store, the simulated jobs or the server: it may import only the standard library, Starlette and
the settings. Every layer above may import it.
"""
