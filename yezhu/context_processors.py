from django.conf import settings


def site(request):
    context = {"DEBUG": settings.DEBUG, "SMS_OUTBOX_VISIBLE": settings.DEBUG, "SITE_URL": settings.SITE_URL}
    # WeChat sign-in: offered only inside WeChat's browser and only when an official account is set.
    in_wechat = "MicroMessenger" in request.META.get("HTTP_USER_AGENT", "")
    context["WECHAT_SIGN_IN"] = bool(settings.WECHAT_APP_ID) and in_wechat
    if context["WECHAT_SIGN_IN"] and getattr(request, "user", None) and request.user.is_authenticated:
        from allauth.socialaccount.models import SocialAccount

        context["WECHAT_BOUND"] = SocialAccount.objects.filter(user=request.user, provider="weixin").exists()
    return context
