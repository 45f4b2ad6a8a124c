"""uforge-mock as a pytest fixture (`plugin`, registered through the `pytest11` entry point)
and the live server it runs (`server`). The top floor: it may import everything below; nothing
of the server imports it. The plugin module itself imports nothing heavy until a test asks for
a fixture.
"""
