"""``bdg-excel serve``: a local web page for the whole reporting cycle (see docs/serve.md).

Flask (routing, Jinja2 templates, test client) served by waitress (pure Python, no C
build, runs the same on Windows) on 127.0.0.1 only. Every script and style is served
from this package: the page works with no network.
"""

from .app import create_app

__all__ = ["create_app", "make_server", "serve"]


def make_server(workspace, plan_name=None, *, port: int = 8765):
    """The waitress server of the page, bound to 127.0.0.1:``port`` (0: any free port;
    ``server.effective_port`` tells which), not yet running."""
    from waitress.server import create_server

    from ..core.errors import BdgError

    app = create_app(workspace, plan_name)
    try:
        # a body declared longer than the page takes is refused by waitress from its
        # Content-Length, before it is received (413)
        return create_server(app, host="127.0.0.1", port=port, threads=4, ident="bdg-excel",
                             clear_untrusted_proxy_headers=True,
                             max_request_body_size=app.config["MAX_CONTENT_LENGTH"])
    except OSError as exc:
        raise BdgError(f"Không mở được cổng {port} trên 127.0.0.1 ({exc.strerror or exc}): "
                       "cổng đang được dùng? Chọn cổng khác bằng --port.") from exc


def serve(workspace, plan_name=None, *, port: int = 8765, open_browser: bool = True,
          ready=None) -> None:
    """Serve the page on 127.0.0.1:``port`` until interrupted; open the browser at it
    unless ``open_browser`` is false. ``ready(url)`` is called once listening."""
    import threading
    import webbrowser

    server = make_server(workspace, plan_name, port=port)
    url = f"http://127.0.0.1:{server.effective_port}/"
    if ready:
        ready(url)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run()
    finally:
        server.close()
