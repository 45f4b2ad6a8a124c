"""The error of a seed document that cannot be loaded (light: the command line catches it
without loading the store)."""


class SeedError(Exception):
    """A seed document that cannot be loaded; `problems` holds one line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))
