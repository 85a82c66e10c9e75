"""The scrutineers of an election (监票人、计票人): named by the staff who run it while it is set
up, with its rules. In a secret vote they (with the street office) are the only ones who receive
the per-ballot record (services.may_have_ballot_record): naming one once the vote is open would
hand that record to whoever is named, so the list is closed with the rules when voting opens.
Every change is in the audit log, and the election page shows the list to the owners."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.lifecycle.moves import audit_election, check_may_manage, load_fresh
from elections.lifecycle.state import SETUP_STAGES
from elections.models import Election, Scrutineer
from yezhu.accounts.models import User
from yezhu.accounts.phone import InvalidMobile, normalize_mobile
from yezhu.actors import Actor, require_person
from yezhu.text import clean_name


def _check_open(election: Election) -> None:
    if election.stage not in SETUP_STAGES:
        raise ElectionError(_("The scrutineers are named with the rules, before voting opens."))


def scrutineer_add(*, election: Election, actor: Actor, mobile: str, name: str, duty: str) -> Scrutineer:
    """Name a scrutineer by mobile number (their account is made if they have none yet)."""
    name = clean_name(name)
    if not name:
        raise ElectionError(_("Please enter the scrutineer's name."))
    if duty not in Scrutineer.Duty.values:
        raise ElectionError(_("Choose scrutineer (监票人) or teller (计票人)."))
    try:
        phone = normalize_mobile(mobile)
    except InvalidMobile:
        raise ElectionError(_("Please enter a valid 11-digit mainland mobile number.")) from None
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        _check_open(fresh)
        user, created = User.objects.get_or_create(phone=phone, defaults={"name": name[:50]})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        try:
            with transaction.atomic():
                scrutineer = Scrutineer.objects.create(
                    election=fresh, user=user, name=name, duty=duty, added_by=require_person(actor)
                )
        except IntegrityError:
            raise ElectionError(_("This person is already a scrutineer of this election.")) from None
        audit_election(
            "election.scrutineer_added",
            fresh,
            actor=actor,
            summary=f"scrutineer added: {name} ({duty})",
            data={"scrutineer": scrutineer.pk, "user": user.pk, "name": name, "duty": duty},
        )
    return scrutineer


def scrutineer_remove(*, scrutineer: Scrutineer, actor: Actor) -> None:
    with transaction.atomic():
        fresh = load_fresh(scrutineer.election)
        check_may_manage(actor, fresh.compound_id)
        _check_open(fresh)
        audit_election(
            "election.scrutineer_removed",
            fresh,
            actor=actor,
            summary=f"scrutineer removed: {scrutineer.name}",
            data={"scrutineer": scrutineer.pk, "user": scrutineer.user_id, "name": scrutineer.name},
        )
        scrutineer.delete()
