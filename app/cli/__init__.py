"""The `uforge-mock` command: `serve`, `seed`, `migrate`, `openapi` (`main`), the control API
from a terminal (`ctl`), and the offline `user` / `export` commands on a store (`offline`).

It sits above everything: it may import every layer and the app factory; nothing imports it
but `__main__`.
"""
