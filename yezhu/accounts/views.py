import hmac
import json

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from yezhu.accounts.models import SmsMessage
from yezhu.accounts.sms_reports import record_tencent_reports


@staff_member_required
def sms_outbox(request):
    """The SMS outbox for development: the codes the console backend printed, readable by staff."""
    if not settings.DEBUG:
        raise Http404
    messages = SmsMessage.objects.all()[:100]
    return render(request, "accounts/sms_outbox.html", {"sms_messages": messages})


@csrf_exempt
@require_POST
def tencent_sms_report(request, token: str):
    """腾讯云短信 status callback (状态回调): a JSON list of delivery reports.

    Tencent signs nothing, so the address carries a secret (SMS_TENCENT_CALLBACK_TOKEN), compared in
    constant time; the callback is configured in Tencent's console as
    SITE_URL + /sms/reports/tencent/<token>/. Tencent expects {"result": 0, "errmsg": "OK"}.
    """
    expected = settings.SMS_TENCENT_CALLBACK_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return JsonResponse({"result": 1, "errmsg": "forbidden"}, status=403)
    try:
        items = json.loads(request.body.decode("utf-8") or "[]")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return JsonResponse({"result": 1, "errmsg": "bad json"}, status=400)
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return JsonResponse({"result": 1, "errmsg": "bad json"}, status=400)
    record_tencent_reports(items)
    return JsonResponse({"result": 0, "errmsg": "OK"})
