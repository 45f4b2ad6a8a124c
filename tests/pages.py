"""What an HTML page makes a browser load by itself: the `src` of its tags (scripts, images,
frames) and the `href` of its `<link>`s (styles, icons). Anchors are not loaded: not counted."""

from html.parser import HTMLParser


class _LoadedURLs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "src" or (name == "href" and tag == "link")):
                self.urls.append(value)


def loaded_urls(html: str) -> list[str]:
    """The URLs `html` makes a browser load, in order."""
    parser = _LoadedURLs()
    parser.feed(html)
    return parser.urls
