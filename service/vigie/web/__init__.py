"""Server-rendered pages (incidents, reports) and the token authentication they share with the
API. :func:`vigie.web.setup.install` wires routers and ``app.state`` into an application."""
