"""Compression as production serves it, for the owner-pages bench and the page-weight test.

Production (docker-compose.yml) runs behind Caddy with `encode gzip` (deploy/caddy/Caddyfile), and
the static files are served by whitenoise from `CompressedManifestStaticFilesStorage`, which wrote
a `.gz` beside each file at collectstatic. So a page's bytes on the wire are:

- the HTML (and any other response the app makes): gzipped by Caddy, at Caddy's default level 5,
  when the client accepts gzip, the response has no Content-Encoding yet, is longer than 512 bytes
  (Caddy's `minimum_length`), and its Content-Type is one of Caddy's default text types
  (`CADDY_TYPES`: `text/*`, JavaScript, JSON, SVG, fonts…); neither side said `no-transform`;
- a static file: whitenoise's `.gz` (gzip level 9) when whitenoise wrote one (it skips files that
  are compressed already and keeps the `.gz` only when it saves more than 5 %), which Caddy passes
  through untouched (it has a Content-Encoding); otherwise the file as it is, gzipped by Caddy if
  Caddy's rule above takes it.

Caddy is not installed where the benchmark runs, so `CaddyEncodeMiddleware` does the same in front
of the site under gunicorn (bench/pages_settings.py): the same rule, the same level. Python's zlib
at level 5 and Go's compress/flate at level 5 are different implementations of deflate; their
outputs differ by a few bytes per kilobyte. Django's own GZipMiddleware would not be faithful: it
compresses every type (images, fonts already compressed), from 200 bytes, at level 6, and pads each
response with up to 100 random bytes (its BREACH mitigation), none of which Caddy does.
"""

from __future__ import annotations

import gzip
import mimetypes
from pathlib import PurePosixPath

LEVEL = 5  # caddyserver/caddy modules/caddyhttp/encode/gzip: defaultGzipLevel
MIN_LENGTH = 512  # modules/caddyhttp/encode: defaultMinLength ("at least this many bytes": > 512)
# modules/caddyhttp/encode: the default response matcher, Content-Type prefixes ("…*").
CADDY_TYPES = (
    "application/atom+xml",
    "application/eot",
    "application/font",
    "application/geo+json",
    "application/graphql+json",
    "application/javascript",
    "application/json",
    "application/ld+json",
    "application/manifest+json",
    "application/opentype",
    "application/otf",
    "application/rss+xml",
    "application/truetype",
    "application/ttf",
    "application/vnd.api+json",
    "application/vnd.ms-fontobject",
    "application/wasm",
    "application/x-httpd-cgi",
    "application/x-javascript",
    "application/x-opentype",
    "application/x-otf",
    "application/x-perl",
    "application/x-protobuf",
    "application/x-ttf",
    "application/xhtml+xml",
    "application/xml",
    "font/ttf",
    "font/otf",
    "image/svg+xml",
    "image/vnd.microsoft.icon",
    "image/x-icon",
    "multipart/bag",
    "multipart/mixed",
    "text/",
)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (a q of 0 refuses it), as Caddy reads it."""
    for part in accept_encoding.split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() != "gzip":
            continue
        params = params.strip().lower()
        if params.startswith("q="):
            try:
                return float(params[2:]) > 0.00001
            except ValueError:
                return True
        return True
    return False


def caddy_encodes(
    *, content_type: str, length: int, content_encoding: str = "", cache_control: str = ""
) -> bool:
    """Whether Caddy's `encode gzip` compresses a response (the client accepting gzip)."""
    return (
        not content_encoding
        and "no-transform" not in cache_control
        and length > MIN_LENGTH
        and content_type.lower().startswith(CADDY_TYPES)
    )


def caddy_gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=LEVEL, mtime=0)


def served_html_size(content: bytes, content_type: str = "text/html; charset=utf-8") -> int:
    """Bytes of an app response's body on the wire behind Caddy, for a client that takes gzip."""
    if caddy_encodes(content_type=content_type, length=len(content)):
        return len(caddy_gzip(content))
    return len(content)


def served_static_size(path: str, data: bytes) -> int:
    """Bytes of a static file's body on the wire: whitenoise's `.gz` if collectstatic writes one,
    else the file, through Caddy's rule."""
    from whitenoise.compress import Compressor

    compressor = Compressor(use_brotli=False, quiet=True)
    if compressor.should_compress(path):
        compressed = compressor.compress_gzip(data)
        if compressor.is_compressed_effectively("Gzip", path, len(data), compressed):
            return len(compressed)
    content_type = mimetypes.guess_type(PurePosixPath(path).name)[0] or "application/octet-stream"
    return served_html_size(data, content_type)


class CaddyEncodeMiddleware:
    """Caddy's `encode gzip` in front of the site, for the bench only (bench/pages_settings.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not accepts_gzip(request.headers.get("Accept-Encoding", "")):
            return response
        if "no-transform" in request.headers.get("Cache-Control", ""):
            return response
        body = b"".join(response.streaming_content) if response.streaming else response.content
        encode = caddy_encodes(
            content_type=response.get("Content-Type", ""),
            length=len(body),
            content_encoding=response.get("Content-Encoding", ""),
            cache_control=response.get("Cache-Control", ""),
        )
        if encode:
            body = caddy_gzip(body)
            response["Content-Encoding"] = "gzip"
            vary = [v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()]
            if "accept-encoding" not in vary:
                response["Vary"] = ", ".join([*filter(None, [response.get("Vary", "")]), "Accept-Encoding"])
            if response.has_header("Accept-Ranges"):
                del response["Accept-Ranges"]
            etag = response.get("ETag", "")
            if etag and not etag.startswith("W/"):
                response["ETag"] = etag.rstrip('"') + '-gzip"'
        if response.streaming:
            response.streaming_content = [body]
        else:
            response.content = body
        if response.has_header("Content-Length") or encode:
            response["Content-Length"] = str(len(body))
        return response
