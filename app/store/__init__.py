"""The store: the SQL database every server process of one world shares.

Owns the tables (`models`, changed only through the Alembic migrations), engines and the
schema's way in (`engine`), the prepared reads of the hot path and their SQLite memory
(`prepared`, `sqlite_reads`, `database`), the queries and the records they return (`queries`,
`tickets`), password hashes (`passwords`), seed documents (`seed`) and bringing a store to its
start-up state (`bootstrap`, with the demo dataset `demo-seed.yml`). It may import the jobs and
wire layers and the settings; it knows nothing of HTTP.
"""
