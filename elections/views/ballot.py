"""The owner's ballot (/e/<pk>/vote/<voter>/), receipts, and proxies (owners and staff).

Voting is three steps: fill in the ballot, see it again on a confirmation page (the choices
travel in a signed hidden field, never in the session), cast. A refusal (before or after the
window, already voted, a proxy holds the vote) is a page that says why in plain words; a user
who is neither an owner of the voter nor its proxy gets 404.
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from elections import voting
from elections.choices import BALLOT_LABELS
from elections.errors import AlreadyVoted, ElectionError
from elections.forms.ballot import (
    BallotForm,
    PaperProxyForm,
    ProxyForm,
    TokenError,
    ballot_token,
    read_ballot_token,
)
from elections.models import Ballot, Matter, Proxy, Race
from elections.selectors import get_managed_election
from elections.services import already_voted_message, online_channel_refusal, valid_ballot_of, window_refusal


def _ballot_paper(election) -> tuple[list[Matter], list[Race]]:
    matters = list(Matter.objects.filter(election=election).prefetch_related("documents"))
    races = list(Race.objects.filter(election=election).prefetch_related("candidates"))
    return matters, races


def ballot_status(ballot: Ballot | None) -> dict | None:
    """When, how and by whom a voter's ballot was cast: never what it says."""
    if ballot is None:
        return None
    if ballot.cast_as == Ballot.CastAs.PROXY and ballot.proxy_id:
        name = ballot.proxy.proxy_name
    elif ballot.cast_as == Ballot.CastAs.PAPER:
        name = ""
    else:
        name = ballot.cast_by.get_full_name() if ballot.cast_by_id else ""
    return {
        "ballot": ballot,
        "when": timezone.localtime(ballot.cast_at),
        "channel": ballot.get_channel_display(),
        "who": ballot.get_cast_as_display(),
        "name": name,
    }


# Casting through the page is limited per user like the API's cast (ballot_user throttle): a
# script that tries tokens or walks voters is slowed down; a person never casts ten in a minute.
CAST_RATE_LIMIT = 10
CAST_RATE_WINDOW = 60


def cast_rate_exceeded(user) -> bool:
    """Count one cast attempt of this user in the current minute; True past the limit."""
    key = f"ballot-cast:{user.pk}:{int(time.time() // CAST_RATE_WINDOW)}"
    if cache.add(key, 1, timeout=CAST_RATE_WINDOW + 10):
        return False
    try:
        return cache.incr(key) > CAST_RATE_LIMIT
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=CAST_RATE_WINDOW + 10)
        return False


def _refusal(request, election, voter, message: str, *, status: int = 403, ballot: Ballot | None = None):
    receipt_url = ""
    if ballot is not None and voting.reachable_voter(
        election=election, user=request.user, voter_id=ballot.voter_id
    ):
        receipt_url = reverse("elections:receipt", args=[election.pk, ballot.receipt])
    return render(
        request,
        "elections/ballot/refused.html",
        {
            "election": election,
            "voter": voter,
            "message": message,
            "status": ballot_status(ballot) if ballot else None,
            "receipt_url": receipt_url,
        },
        status=status,
    )


def _race_rows(races: list[Race], choices: dict) -> list[dict]:
    rows = []
    for race in races:
        ticked = (choices.get("races") or {}).get(race.key, [])
        names = [c.name for c in race.candidates.all() if c.key in ticked]
        rows.append({"race": race, "names": names, "over": len(ticked) > race.seats, "count": len(ticked)})
    return rows


def _matter_rows(matters: list[Matter], choices: dict) -> list[dict]:
    rows = []
    for matter in matters:
        answer = (choices.get("matters") or {}).get(matter.key)
        rows.append({"matter": matter, "answer": answer, "label": BALLOT_LABELS.get(answer, "")})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def vote(request, pk: int, voter_id: int):
    """The ballot page, its confirmation step and the cast."""
    election = voting.election_for_voting(request.user, pk)
    voter = voting.reachable_voter(election=election, user=request.user, voter_id=voter_id)
    if voter is None:
        raise Http404
    now = timezone.now()
    refusal = window_refusal(election, now)
    existing = valid_ballot_of(voter)
    if existing is not None:
        return _refusal(
            request, election, voter, already_voted_message(existing), status=200, ballot=existing
        )
    if refusal:
        return _refusal(request, election, voter, refusal)
    closed = online_channel_refusal(election)
    if closed:
        return _refusal(request, election, voter, closed)
    try:
        right = voting.cast_right(election=election, voter=voter, user=request.user)
    except AlreadyVoted as error:
        return _refusal(request, election, voter, str(error), status=200, ballot=error.ballot)
    except ElectionError as error:
        return _refusal(request, election, voter, str(error))
    matters, races = _ballot_paper(election)
    context = {"election": election, "voter": voter, "right": right, "matters": matters, "races": races}
    step = request.POST.get("step", "") if request.method == "POST" else ""

    if step in ("cast", "edit"):
        if step == "cast" and cast_rate_exceeded(request.user):
            return _refusal(
                request,
                election,
                voter,
                _("Too many attempts to cast a ballot. Please wait a minute and try again."),
                status=429,
            )
        try:
            choices = read_ballot_token(request.POST.get("token", ""), election=election, voter=voter)
        except TokenError as error:
            messages.error(request, str(error))
            return redirect("elections:vote", election.pk, voter.pk)
        if step == "edit":
            form = BallotForm(
                initial=BallotForm.initial_from(choices, matters, races), matters=matters, races=races
            )
            return render(request, "elections/ballot/ballot.html", {**context, "form": form})
        try:
            ballot = voting.ballot_cast_online(
                election=election, voter=voter, actor=request.user, choices=choices
            )
        except AlreadyVoted as error:
            return _refusal(request, election, voter, str(error), status=409, ballot=error.ballot)
        except ElectionError as error:
            return _refusal(request, election, voter, str(error))
        return redirect("elections:receipt", election.pk, ballot.receipt)

    if step == "review":
        form = BallotForm(request.POST, matters=matters, races=races)
        if form.is_valid():
            choices = form.choices()
            race_rows = _race_rows(races, choices)
            return render(
                request,
                "elections/ballot/confirm.html",
                {
                    **context,
                    "token": ballot_token(election=election, voter=voter, choices=choices),
                    "matter_rows": _matter_rows(matters, choices),
                    "race_rows": race_rows,
                    "any_over": any(row["over"] for row in race_rows),
                },
            )
    else:
        form = BallotForm(matters=matters, races=races)
    return render(request, "elections/ballot/ballot.html", {**context, "form": form})


@login_required
@require_http_methods(["GET"])
def receipt(request, pk: int, code: str):
    """The receipt of a ballot, for whoever may cast for its voter: code, chain position, hash."""
    election = voting.election_for_voting(request.user, pk)
    ballot = (
        Ballot.objects.filter(election=election, receipt=code.strip().upper())
        .select_related("voter", "cast_by", "proxy")
        .first()
    )
    if ballot is None:
        raise Http404
    allowed = ballot.cast_by_id == request.user.pk or voting.reachable_voter(
        election=election, user=request.user, voter_id=ballot.voter_id
    )
    if not allowed:
        raise Http404
    return render(
        request,
        "elections/ballot/receipt.html",
        {
            "election": election,
            "ballot": ballot,
            "status": ballot_status(ballot),
            "board_public": voting.board_public(election),
            # A co-owner (or the owner of a home a proxy voted for) reads who voted for the home,
            # not "your vote is cast": only the person who cast it online is told it was theirs.
            "cast_by_me": ballot.cast_by_id == request.user.pk and ballot.cast_as != Ballot.CastAs.PAPER,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def proxy_give(request, pk: int, voter_id: int):
    """An owner names a proxy for one voter, or sees and revokes the current one."""
    election = voting.election_for_voting(request.user, pk)
    voter = voting.owned_voter(election=election, user=request.user, voter_id=voter_id)
    if voter is None:
        raise Http404
    current = voting.active_proxy(voter)
    form = ProxyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proxy = voting.proxy_authorise(
                election=election,
                voter=voter,
                actor=request.user,
                proxy_mobile=form.cleaned_data["proxy_mobile"],
                proxy_name=form.cleaned_data["proxy_name"],
            )
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s may now vote for %(units)s. You can revoke this until they vote.")
                % {"name": proxy.proxy_name, "units": voter.unit_codes},
            )
            return redirect("elections:detail", election.pk)
    return render(
        request,
        "elections/ballot/proxy.html",
        {
            "election": election,
            "voter": voter,
            "current": current,
            "form": form,
            "ballot": ballot_status(valid_ballot_of(voter)),
            "limit": election.proxy_limit,
        },
    )


def _confirm_revoke(request, election, proxy, *, back_url: str):
    """The confirmation step of a revocation: nothing changes until "Yes, revoke" is pressed."""
    return render(
        request,
        "elections/ballot/proxy_revoke.html",
        {"election": election, "proxy": proxy, "back_url": back_url},
    )


def _confirmed(request) -> bool:
    return request.method == "POST" and request.POST.get("confirm") == "yes"


@login_required
@require_http_methods(["GET", "POST"])
def proxy_revoke(request, pk: int, proxy_id: int):
    """An owner revokes the proxy of one of their voters (before the proxy has voted), after a
    confirmation page: one tap on the proxy page never revokes."""
    election = voting.election_for_voting(request.user, pk)
    proxy = (
        Proxy.objects.filter(election=election, pk=proxy_id).select_related("election", "principal").first()
    )
    if (
        proxy is None
        or voting.owned_voter(election=election, user=request.user, voter_id=proxy.principal_id) is None
    ):
        raise Http404
    if not _confirmed(request):
        return _confirm_revoke(
            request,
            election,
            proxy,
            back_url=reverse("elections:proxy_give", args=[election.pk, proxy.principal_id]),
        )
    try:
        voting.proxy_revoke(proxy=proxy, actor=request.user)
    except ElectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The proxy is revoked. You can vote yourself now."))
    return redirect("elections:detail", election.pk)


# ---------------------------------------------------------------------------------------------
# Staff: proxies of an election (who holds which vote; never how anyone voted)
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def manage_proxies(request, pk: int):
    election = get_managed_election(request.user, pk)
    form = PaperProxyForm(request.POST or None, request.FILES or None, election=election)
    if request.method == "POST" and form.is_valid():
        try:
            proxy = voting.proxy_record_paper(
                election=election,
                voter=form.cleaned_data["unit"],
                actor=request.user,
                proxy_mobile=form.cleaned_data["proxy_mobile"],
                proxy_name=form.cleaned_data["proxy_name"],
                document=form.cleaned_data["document"],
            )
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Paper proxy recorded: %(name)s for %(units)s.")
                % {"name": proxy.proxy_name, "units": proxy.principal.unit_codes},
            )
            return redirect("manage:proxies", election.pk)
    proxies = (
        Proxy.objects.filter(election=election)
        .select_related("principal", "proxy_user")
        .order_by("status", "principal__unit_codes")
    )
    return render(
        request,
        "elections/ballot/manage_proxies.html",
        {"election": election, "form": form, "proxies": proxies},
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage_proxy_revoke(request, pk: int, proxy_id: int):
    election = get_managed_election(request.user, pk)
    proxy = (
        Proxy.objects.filter(election=election, pk=proxy_id).select_related("election", "principal").first()
    )
    if proxy is None:
        raise Http404
    if not _confirmed(request):
        return _confirm_revoke(
            request, election, proxy, back_url=reverse("manage:proxies", args=[election.pk])
        )
    try:
        voting.proxy_revoke(proxy=proxy, actor=request.user)
    except ElectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The proxy is revoked."))
    return redirect("manage:proxies", election.pk)


urlpatterns = [
    path("<int:pk>/vote/<int:voter_id>/", vote, name="vote"),
    path("<int:pk>/receipt/<str:code>/", receipt, name="receipt"),
    path("<int:pk>/proxy/<int:voter_id>/", proxy_give, name="proxy_give"),
    path("<int:pk>/proxy/<int:proxy_id>/revoke/", proxy_revoke, name="proxy_revoke"),
]

manage_urlpatterns = [
    path("<int:pk>/proxies/", manage_proxies, name="proxies"),
    path("<int:pk>/proxies/<int:proxy_id>/revoke/", manage_proxy_revoke, name="proxy_revoke"),
]
