from django.shortcuts import render


def home(request):
    """The owner's home: who they are, their units and elections (an empty state until claimed)."""
    context = {}
    if request.user.is_authenticated:
        from django.utils import timezone

        from elections.models import Delivery
        from elections.notices import inbox_deliveries
        from elections.selectors import owner_elections
        from elections.surveys import owner_surveys
        from grids.selectors import home_context_for

        now = timezone.now()
        context.update(
            home_context_for(request.user),
            elections=owner_elections(request.user),
            surveys=[s for s in owner_surveys(request.user, now=now)[:5] if s.is_open(now)],
            unread_notices=inbox_deliveries(request.user)
            .filter(status=Delivery.Status.SENT, opened_at__isnull=True)
            .count(),
        )
    return render(request, "home.html", context)


def healthz(request):
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def switch_language(request, code: str):
    """Remember the chosen language in the cookie the locale middleware reads, and go back.

    A plain link (not Django's POST set_language) so no page needs a form for it; a language
    preference is not worth a CSRF token on every page."""
    from django.conf import settings
    from django.http import Http404, HttpResponseRedirect
    from django.utils.http import url_has_allowed_host_and_scheme

    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response
