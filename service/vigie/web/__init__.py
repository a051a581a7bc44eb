"""Server-rendered pages (incidents, reports): :data:`vigie.web.pages.router` (signed-in,
CSRF-checked) and :data:`vigie.web.pages.login_router`. Assembled by :mod:`vigie.server`."""
