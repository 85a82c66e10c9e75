"""WeChat sign-in (微信公众号网页授权) on allauth's WeChat (weixin) provider.

allauth's provider is written for the website QR login (open.weixin.qq.com/connect/qrconnect,
scope snsapi_login). Owners open Yezhu inside WeChat, from the street office's official account
(公众号): there the authorisation is 网页授权 (connect/oauth2/authorize, scope snsapi_base or
snsapi_userinfo, the URL ending in #wechat_redirect) and the token is fetched with GET. This
package keeps allauth's provider (id "weixin", its SocialAccount rows, its views) and changes only
those points, with every WeChat address taken from settings so tests run against a local fake.

Nobody signs up with WeChat: an owner first signs in with an SMS code (the mobile number is what
the roll knows), then binds WeChat (allauth's "connect"), and inside WeChat signs in with it from
then on. Staff never sign in with WeChat alone (AccountAdapter.pre_login asks for the password).
"""
