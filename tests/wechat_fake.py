"""A local fake of WeChat's 公众号网页授权 (OAuth 2.0) for the sign-in tests.

- GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state: what WeChat's
  in-app browser does once the owner agrees: a 302 to redirect_uri?code=…&state=… for the WeChat
  user the test names (`next_openid`). Checks the AppID, the scope and that redirect_uri is on the
  registered domain (网页授权域名).
- GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code: checks the secret
  and that the code is fresh and used once (errcode 40029 / 40125 / 40163 as WeChat answers).
- GET /sns/userinfo?access_token&openid: the user's profile.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        status, headers, payload = self.server.fake.handle(url.path, query)
        data = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; encoding=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeWechat:
    def __init__(self, *, app_id: str, secret: str, domain: str):
        self.app_id, self.secret, self.domain = app_id, secret, domain
        self.next_openid = ""
        self.codes: dict[str, str] = {}  # code → openid
        self.tokens: dict[str, str] = {}  # access token → openid
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.fake = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def error(code: int, message: str):
        return 200, {}, {"errcode": code, "errmsg": message}

    def handle(self, path, q):
        if path == "/connect/oauth2/authorize":
            if q.get("appid") != self.app_id:
                return self.error(10003, "redirect_uri domain mismatch / invalid appid")
            if q.get("response_type") != "code" or q.get("scope") not in ("snsapi_base", "snsapi_userinfo"):
                return self.error(10005, "invalid scope")
            redirect = urlsplit(q.get("redirect_uri", ""))
            if redirect.hostname != self.domain:
                return self.error(10003, "redirect_uri 域名与后台配置不一致")
            code = secrets.token_hex(16)
            self.codes[code] = self.next_openid
            target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")})
            return 302, {"Location": target}, None
        if path == "/sns/oauth2/access_token":
            if q.get("appid") != self.app_id or q.get("secret") != self.secret:
                return self.error(40125, "invalid appsecret")
            if q.get("grant_type") != "authorization_code":
                return self.error(40002, "invalid grant_type")
            openid = self.codes.pop(q.get("code", ""), None)
            if openid is None:
                return self.error(40029, "invalid code")
            token = secrets.token_hex(24)
            self.tokens[token] = openid
            return (
                200,
                {},
                {
                    "access_token": token,
                    "expires_in": 7200,
                    "refresh_token": secrets.token_hex(24),
                    "openid": openid,
                    "scope": "snsapi_userinfo",
                },
            )
        if path == "/sns/userinfo":
            openid = self.tokens.get(q.get("access_token", ""))
            if openid is None or openid != q.get("openid"):
                return self.error(40001, "invalid credential, access_token is invalid or not latest")
            return (
                200,
                {},
                {
                    "openid": openid,
                    "nickname": "老王",
                    "sex": 1,
                    "province": "浙江",
                    "city": "杭州",
                    "country": "中国",
                    "headimgurl": "",
                    "privilege": [],
                },
            )
        return 404, {}, {"errcode": 404, "errmsg": "not found"}
