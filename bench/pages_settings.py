"""Settings of the site under gunicorn while the owner pages are measured (bench/owner_pages.py).

The production settings (DEBUG=0, whitenoise serving the collected static files with their `.gz`)
with one thing in front: `CaddyEncodeMiddleware`, which compresses the responses as Caddy's
`encode gzip` does in production (deploy/caddy/Caddyfile; bench/caddy_gzip.py says why not Django's
GZipMiddleware). It is the outermost middleware, as Caddy is outside the app.
"""

from yezhu.settings import *  # noqa: F403
from yezhu.settings import MIDDLEWARE

MIDDLEWARE = ["bench.caddy_gzip.CaddyEncodeMiddleware", *MIDDLEWARE]
