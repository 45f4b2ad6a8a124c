"""The simulated jobs: what an asynchronous UForge job (an export today) shows at an instant.

Owns the mock's sense of time (`clock`), the job's status as a pure function of its ticket and
`now` (`simulation`), and the archive a finished job offers (`archive`). Nothing here reads a
database, a clock or a request, so every server sharing a store computes the same answer. It may
import the wire layer (for digests) and nothing above it.
"""
