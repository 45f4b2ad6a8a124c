"""The error of a seed document that cannot be loaded (light: the command line catches it
without loading the store)."""

from collections.abc import Iterable

# A report names the first problems and counts the rest: a document with a million bad entries
# is refused in a few lines, not in a million (nor in the memory a million take).
MAX_REPORTED_PROBLEMS = 20
# A problem quotes what the document says (a login, a key): a long one is cut.
MAX_PROBLEM_LENGTH = 300


def shorten(text: str, limit: int = MAX_PROBLEM_LENGTH) -> str:
    """`text`, cut to `limit` characters with a note of its real length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


class SeedError(Exception):
    """A seed document that cannot be loaded; `problems` holds one line per problem, at most
    `MAX_REPORTED_PROBLEMS` of them and then a line counting the others (`count`: how many
    there are in all)."""

    def __init__(self, source: str, problems: Iterable[str], *, more: int = 0) -> None:
        """`more`: problems found beyond those in `problems` (counted, not described)."""
        kept: list[str] = []
        for problem in problems:
            if len(kept) < MAX_REPORTED_PROBLEMS:
                kept.append(shorten(problem))
            else:
                more += 1
        self.source = source
        self.count = len(kept) + more
        if more:
            kept.append(f"... and {more} more problems ({self.count} in all)")
        self.problems = kept
        super().__init__("\n".join(f"{source}: {problem}" for problem in kept))


class Problems:
    """Problems as a check finds them: the first `MAX_REPORTED_PROBLEMS` described, the rest
    only counted."""

    def __init__(self) -> None:
        self.described: list[str] = []
        self.more = 0

    def add(self, problem: str) -> None:
        if len(self.described) < MAX_REPORTED_PROBLEMS:
            self.described.append(problem)
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.described)

    def error(self, source: str) -> SeedError:
        return SeedError(source, self.described, more=self.more)
