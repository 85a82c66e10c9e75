from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import render

from yezhu.accounts.models import SmsMessage


@staff_member_required
def sms_outbox(request):
    """The SMS outbox for development: the codes the console backend printed, readable by staff."""
    if not settings.DEBUG:
        raise Http404
    messages = SmsMessage.objects.all()[:100]
    return render(request, "accounts/sms_outbox.html", {"sms_messages": messages})
