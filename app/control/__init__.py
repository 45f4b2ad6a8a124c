"""The control plane of tests and demos: journal, faults, and their HTTP API (`/_mock`)."""
