"""Content digests: the `digest` field of every UForge object and the root of its ETag."""

import hashlib


def content_digest(*parts: object) -> str:
    """32 lowercase hex digits that change exactly when one of `parts` changes."""
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.md5(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()
