"""Setting an election up: creating it, its settings and the rule overrides its rules of procedure
allow, its working group, and its matters and races (only while the setup is open)."""

from __future__ import annotations

from fractions import Fraction

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.errors import ElectionError, ElectionUnderWay
from elections.lifecycle.moves import audit_election, check_may_manage, load_fresh, refuse_if_any, reloaded
from elections.lifecycle.preconditions import seat_problem
from elections.lifecycle.seats import by_election_problems, convene_problems, major_matter_problem
from elections.lifecycle.state import (
    COMMITTEE_KINDS,
    PROFILE_RULES,
    SETUP_STAGES,
    SILENT_MAJORITY_UNSUPPORTED,
    Kind,
    committee_size_rules,
    effective_profile,
    rule_label,
    street_profile_key,
)
from elections.models import (
    Election,
    Matter,
    Race,
    Stage,
    WorkingGroupMember,
)
from elections.rules import tally as pure
from elections.rules import timeline as tl
from grids.models import Compound
from yezhu.actors import Actor, actor_label, person


def election_create(
    *,
    compound: Compound,
    title: str,
    kind: str = Kind.REELECTION,
    actor: Actor,
    profile: str | None = None,
    concurrent: bool = False,
) -> Election:
    """Start an election in a compound (stage ``started``) with the street's regional profile.

    A compound elects one committee at a time: a second election of members while one is under
    way is refused. Any other election beside one under way (a vote on matters during a
    re-election, or two votes on matters) needs `concurrent=True`, the staff's explicit
    acknowledgement (docs/decisions.md, "One election at a time")."""
    check_may_manage(actor, compound.pk)
    title = title.strip()
    if not title:
        raise ElectionError(_("Give the election a title."))
    if kind not in Kind.values:
        raise ElectionError(_("Unknown kind of election."))
    key = profile or street_profile_key(compound)
    if key not in tl.PROFILES:
        raise ElectionError(_("Unknown regional profile: %(key)s") % {"key": key})
    # An expired committee convenes nothing; a by-election fills a sitting committee's vacant
    # seats only (RULES.md §7, elections/lifecycle/seats.py).
    problems = convene_problems(compound.pk, kind, actor=actor)
    if kind == Kind.BY_ELECTION and not problems:
        problems = [p for p in by_election_problems(compound.pk) if p.code != "no_vacant_seat"]
    refuse_if_any(problems)
    with transaction.atomic():
        # Two staff starting an election at once: the compound's row lock makes the second see the first.
        Compound.objects.select_for_update().filter(pk=compound.pk).values("pk").get()
        check_none_under_way(compound, kind, concurrent=concurrent)
        election = Election(
            compound=compound,
            title=title[:200],
            kind=kind,
            profile=key,
            proxy_limit=tl.PROFILES[key].proxy_principals_max.value,
            created_by=person(actor),
        )
        election.full_clean()
        election.save()
        audit_election(
            "election.created",
            election,
            actor=actor,
            summary=f"election created: {election.title}",
            data={"kind": kind, "profile": key},
        )
    return election


#: Kinds that elect committee members: a compound runs at most one of them at a time.
ELECTS_MEMBERS = (Kind.FIRST_ASSEMBLY, Kind.REELECTION, Kind.BY_ELECTION)


def check_none_under_way(compound: Compound, kind: str, *, concurrent: bool) -> None:
    """Refuse a new election beside one under way (see `election_create`)."""
    under_way = list(
        Election.objects.filter(compound_id=compound.pk)
        .exclude(stage__in=(Stage.DONE, Stage.FAILED))
        .order_by("-created_at", "-pk")
    )
    if not under_way:
        return
    if kind in ELECTS_MEMBERS:
        electing = next((e for e in under_way if e.kind in ELECTS_MEMBERS), None)
        if electing is not None:
            raise ElectionUnderWay(
                _(
                    "%(compound)s already has an election of committee members under way (%(title)s, "
                    "%(stage)s). Finish it, or record it as not successful, before starting another."
                )
                % {"compound": compound.name, "title": electing.title, "stage": electing.get_stage_display()}
            )
    if not concurrent:
        other = under_way[0]
        raise ElectionUnderWay(
            _(
                "%(compound)s already has an election under way (%(title)s, %(stage)s). A second vote "
                "may run beside it only if you confirm that both are meant to run at the same time."
            )
            % {"compound": compound.name, "title": other.title, "stage": other.get_stage_display()}
        )


def _fraction(value: Fraction | str | tuple[int, int], message: str) -> Fraction:
    try:
        return Fraction(*value) if isinstance(value, tuple) else Fraction(value)
    except (ValueError, ZeroDivisionError, TypeError):
        raise ElectionError(message) from None


def floor_refusal(name: str, value: Fraction) -> str:
    """Why ``value`` cannot be the election's quorum or threshold ("" if it can): the floors of
    民法典 第278条 may be raised by the rules of procedure, never lowered."""
    if pure.floor_problem(name, value) is None:
        return ""
    if name == "quorum":
        if value < pure.QUORUM_FLOOR:
            return _(
                "The quorum %(value)s is below two-thirds: the rules of procedure may raise it, never "
                "lower it (民法典 第278条)."
            ) % {"value": value}
        return _("The quorum must be more than 0 and at most 1.")
    if name == "ordinary":
        if value < pure.ORDINARY_FLOOR:
            return _(
                "Ordinary matters need more than half: %(value)s would lower that, and the rules of "
                "procedure may raise it, never lower it (民法典 第278条)."
            ) % {"value": value}
        return _("The threshold of ordinary matters (more than …) must be below 1.")
    if value < pure.SPECIAL_FLOOR:
        return _(
            "Special matters need at least three-quarters: %(value)s would lower that, and the rules of "
            "procedure may raise it, never lower it (民法典 第278条)."
        ) % {"value": value}
    return _("The threshold of special matters must be at most 1.")


def parse_quorum(value: Fraction | str | tuple[int, int]) -> Fraction:
    """The quorum as a fraction: at least 2/3 (民法典 第278条), at most 1."""
    q = _fraction(value, _("The quorum must be a fraction such as 2/3."))
    refusal = floor_refusal("quorum", q)
    if refusal:
        raise ElectionError(refusal)
    return q


def parse_threshold(name: str, value: Fraction | str | tuple[int, int]) -> Fraction:
    """An ordinary ("more than", at least 1/2) or special ("at least", at least 3/4) threshold."""
    t = _fraction(value, _("A threshold must be a fraction such as 2/3."))
    refusal = floor_refusal(name, t)
    if refusal:
        raise ElectionError(refusal)
    return t


def clean_override_value(name: str, value):
    if name in tl.Profile._BOOLEAN:
        if isinstance(value, str):
            value = value.strip().lower() in ("1", "true", "yes", "on", "是")
        return bool(value)
    if value in (None, "") and name in tl.Profile._OPTIONAL:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ElectionError(_("%(name)s must be a whole number.") % {"name": rule_label(name)}) from None
    if number < 0:
        raise ElectionError(_("%(name)s must be a whole number.") % {"name": rule_label(name)})
    return number


def election_update_settings(
    *,
    election: Election,
    actor: Actor,
    quorum: Fraction | str | tuple[int, int] | None = None,
    ordinary: Fraction | str | tuple[int, int] | None = None,
    special: Fraction | str | tuple[int, int] | None = None,
    proxy_limit: int | None = None,
    nominations_required: int | None = None,
    temporary_meeting: bool | None = None,
    silent_majority: bool | None = None,
    meeting_form: str | None = None,
    overrides: dict[str, tuple[object, str] | None] | None = None,
    ballot_secrecy: str | None = None,
) -> Election:
    """Change the rules the rules of procedure decide (RULES §5) before voting opens.

    ``overrides`` maps a timeline rule name (``Profile.rule_names()``) to ``(value, reason)``, or to
    ``None`` to drop an override; each is kept in ``rule_overrides`` as
    ``{"value", "reason", "by", "at"}`` and the timeline shows the reason as the source.
    ``ballot_secrecy``: ``"secret"`` (不记名, the default) or ``"named"`` (记名).
    """
    with transaction.atomic():
        fresh = Election.objects.select_for_update().get(pk=election.pk)
        check_may_manage(actor, fresh.compound_id)
        if fresh.stage not in SETUP_STAGES:
            raise ElectionError(_("The rules cannot change once voting has opened."))
        changes: dict[str, object] = {}
        if quorum is not None:
            q = parse_quorum(quorum)
            if (q.numerator, q.denominator) != (fresh.quorum_numerator, fresh.quorum_denominator):
                changes["quorum"] = f"{q.numerator}/{q.denominator}"
                fresh.quorum_numerator, fresh.quorum_denominator = q.numerator, q.denominator
        for name, raw in (("ordinary", ordinary), ("special", special)):
            if raw is None:
                continue
            t = parse_threshold(name, raw)
            if (t.numerator, t.denominator) != (
                getattr(fresh, f"{name}_numerator"),
                getattr(fresh, f"{name}_denominator"),
            ):
                changes[name] = f"{t.numerator}/{t.denominator}"
                setattr(fresh, f"{name}_numerator", t.numerator)
                setattr(fresh, f"{name}_denominator", t.denominator)
        for name, number in (
            ("proxy_limit", proxy_limit),
            ("nominations_required", nominations_required),
        ):
            if number is not None:
                if int(number) < 1:
                    raise ElectionError(_("%(name)s must be at least 1.") % {"name": name})
                if getattr(fresh, name) != int(number):
                    changes[name] = int(number)
                    setattr(fresh, name, int(number))
        if silent_majority and not fresh.silent_majority:
            # RULES §5: counting silent owners needs, per household, proof that the ballot and the
            # warning of the consequence were delivered, and the result shown with and without
            # them. The tally does neither yet, so the setting cannot be turned on.
            raise ElectionError(str(SILENT_MAJORITY_UNSUPPORTED))
        for name, flag in (("temporary_meeting", temporary_meeting), ("silent_majority", silent_majority)):
            if flag is not None and getattr(fresh, name) != bool(flag):
                changes[name] = bool(flag)
                setattr(fresh, name, bool(flag))
        if meeting_form is not None and meeting_form != fresh.meeting_form:
            if meeting_form not in Election.MeetingForm.values:
                raise ElectionError(
                    _("Choose a written consultation or a meeting held as collective discussion.")
                )
            changes["meeting_form"] = meeting_form
            fresh.meeting_form = meeting_form
        if ballot_secrecy is not None and ballot_secrecy != fresh.ballot_secrecy:
            if ballot_secrecy not in Election.Secrecy.values:
                raise ElectionError(_("Voting is either secret or named."))
            changes["ballot_secrecy"] = ballot_secrecy
            fresh.ballot_secrecy = ballot_secrecy
        rules = dict(fresh.rule_overrides or {})
        for name, entry in (overrides or {}).items():
            if name not in PROFILE_RULES:
                raise ElectionError(_("Unknown timeline rule: %(name)s") % {"name": name})
            if entry is None:
                if name in rules:
                    rules.pop(name)
                    changes[f"override:{name}"] = None
                continue
            value, reason = entry
            reason = (reason or "").strip()
            if not reason:
                raise ElectionError(
                    _("Give the article of the rules of procedure that sets %(name)s.")
                    % {"name": rule_label(name)}
                )
            value = clean_override_value(name, value)
            base = tl.PROFILES.get(fresh.profile) or tl.get_profile("national")
            if name == "city_platform" and not value and base.city_platform.value:
                # The city's rule binds every compound; the rules of procedure cannot reopen
                # Yezhu's own online channel where the city requires its platform.
                raise ElectionError(
                    _(
                        "Online votes here must go through the city's e-voting platform (%(source)s); "
                        "the rules of procedure cannot turn that off."
                    )
                    % {"source": base.city_platform.source}
                )
            rules[name] = {
                "value": value,
                "reason": reason[:200],
                "by": actor_label(actor),
                "at": timezone.now().isoformat(timespec="seconds"),
            }
            changes[f"override:{name}"] = {"value": value, "reason": reason}
        fresh.rule_overrides = rules
        try:
            effective_profile(fresh)
        except (ValueError, TypeError) as error:
            raise ElectionError(_("These values do not fit together: %(error)s") % {"error": error}) from None
        if not changes:
            return reloaded(election)
        fresh.full_clean()
        touched = Election.objects.filter(pk=fresh.pk, stage=fresh.stage).update(
            quorum_numerator=fresh.quorum_numerator,
            quorum_denominator=fresh.quorum_denominator,
            ordinary_numerator=fresh.ordinary_numerator,
            ordinary_denominator=fresh.ordinary_denominator,
            special_numerator=fresh.special_numerator,
            special_denominator=fresh.special_denominator,
            proxy_limit=fresh.proxy_limit,
            nominations_required=fresh.nominations_required,
            temporary_meeting=fresh.temporary_meeting,
            silent_majority=fresh.silent_majority,
            meeting_form=fresh.meeting_form,
            rule_overrides=fresh.rule_overrides,
            ballot_secrecy=fresh.ballot_secrecy,
        )
        if touched != 1:
            raise ElectionError(
                _("Someone else changed this election a moment ago. Reload the page and check its stage.")
            )
        audit_election(
            "election.settings",
            fresh,
            actor=actor,
            summary="settings changed: " + ", ".join(changes),
            data={"changes": changes},
        )
    return reloaded(election)


def working_group_member_add(
    *,
    election: Election,
    actor: Actor,
    name: str,
    affiliation: str,
    role: str = WorkingGroupMember.Role.MEMBER,
    party_member: bool = False,
) -> WorkingGroupMember:
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        if fresh.stage not in SETUP_STAGES:
            raise ElectionError(_("The working group cannot change once voting has opened."))
        member = WorkingGroupMember(
            election=fresh, name=name.strip(), affiliation=affiliation, role=role, party_member=party_member
        )
        member.full_clean()
        member.save()
        audit_election(
            "election.working_group_member_added",
            fresh,
            actor=actor,
            summary=f"working group member added: {member.name}",
            data={"member": member.pk, "name": member.name, "affiliation": affiliation, "role": role},
        )
        lapse_working_group_approval(fresh, actor=actor)
    return member


def working_group_member_remove(
    *,
    member: WorkingGroupMember,
    actor: Actor,
) -> None:
    with transaction.atomic():
        fresh = load_fresh(member.election)
        check_may_manage(actor, fresh.compound_id)
        if fresh.stage not in SETUP_STAGES:
            raise ElectionError(_("The working group cannot change once voting has opened."))
        audit_election(
            "election.working_group_member_removed",
            fresh,
            actor=actor,
            summary=f"working group member removed: {member.name}",
            data={"member": member.pk, "name": member.name},
        )
        member.delete()
        lapse_working_group_approval(fresh, actor=actor)


def lapse_working_group_approval(election: Election, *, actor) -> None:
    """The street office approved a make-up that has just changed: before the notice is out, its
    approval lapses and it vets the group again (三关). After the notice the change is only logged."""
    if election.working_group_approved_at is None or election.notice_published_on is not None:
        return
    if election.stage not in (Stage.STARTED, Stage.WORKING_GROUP):
        return
    Election.objects.filter(pk=election.pk).update(
        working_group_approved_at=None, working_group_approved_by=None, working_group_approval_note=""
    )
    election.working_group_approved_at = None
    audit_election(
        "election.working_group_approval_lapsed",
        election,
        actor=actor,
        summary="the working group changed after the street office approved it: to be approved again",
    )


def check_setup_open(election: Election) -> None:
    """Matters and races are fixed once the notice is out (北京 第35条, 杭州 第19条)."""
    if election.notice_published_on is not None or election.stage not in (Stage.STARTED, Stage.WORKING_GROUP):
        raise ElectionError(
            _(
                "After the notice is published the matters to be voted on may not change (北京 第35条、杭州 第19条)."
            )
        )


def next_key(prefix: str, keys) -> str:
    numbers = [int(k[len(prefix) :]) for k in keys if k.startswith(prefix) and k[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


def matter_save(
    *,
    election: Election,
    actor: Actor,
    matter: Matter | None = None,
    title: str,
    text: str = "",
    item: int = Matter.Item.OTHER,
) -> Matter:
    """Add or change a matter; items 6–8 of 民法典 第278条 need three-quarters (special)."""
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check_setup_open(fresh)
        if matter is not None and matter.election_id != fresh.pk:
            raise ElectionError(_("This matter belongs to another election."))
        item = int(item)
        if item not in Matter.Item.values:
            raise ElectionError(_("Choose one of the nine statutory items."))
        major = major_matter_problem(fresh, item)
        if major is not None:
            refuse_if_any([major])
        category = Matter.Category.SPECIAL if item in Matter.SPECIAL_ITEMS else Matter.Category.ORDINARY
        if matter is None:
            keys = list(Matter.objects.filter(election=fresh).values_list("key", flat=True))
            matter = Matter(election=fresh, key=next_key("M", keys), position=len(keys) + 1)
        matter.title, matter.text, matter.item, matter.category = title.strip(), text, item, category
        matter.full_clean()
        matter.save()
        audit_election(
            "election.matter_saved",
            fresh,
            actor=actor,
            summary=f"matter {matter.key}: {matter.title}",
            data={"matter": matter.pk, "key": matter.key, "item": item, "category": category},
        )
    return matter


def matter_delete(
    *,
    matter: Matter,
    actor: Actor,
) -> None:
    with transaction.atomic():
        fresh = load_fresh(matter.election)
        check_may_manage(actor, fresh.compound_id)
        check_setup_open(fresh)
        audit_election(
            "election.matter_deleted",
            fresh,
            actor=actor,
            summary=f"matter {matter.key} removed",
            data={"key": matter.key, "title": matter.title},
        )
        matter.delete()


def race_save(
    *,
    election: Election,
    actor: Actor,
    race: Race | None = None,
    title: str,
    seats: int,
    alternates: int | None = None,
) -> Race:
    """Add or change a race. A committee has the profile's size (5–11, odd, unless overridden).

    ``alternates`` (候补委员) not given: as many as the seats, the default of RULES §5 (qualified
    candidates not elected, in rank order, up to the number of seats).
    """
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check_setup_open(fresh)
        if fresh.kind == Kind.MATTERS_ONLY:
            raise ElectionError(_("A vote on matters only elects nobody: change the kind of election first."))
        if race is not None and race.election_id != fresh.pk:
            raise ElectionError(_("This race belongs to another election."))
        seats = int(seats)
        alternates = seats if alternates is None else int(alternates)
        if seats < 1:
            raise ElectionError(_("A race needs at least one seat."))
        if fresh.kind in COMMITTEE_KINDS:
            message = seat_problem(seats, *committee_size_rules(fresh))
            if message:
                raise ElectionError(message[:1].upper() + message[1:])
        if alternates < 0 or alternates > seats:
            raise ElectionError(_("There may be at most as many alternates as seats."))
        if fresh.kind == Kind.BY_ELECTION:
            others = Race.objects.filter(election=fresh)
            if race is not None:
                others = others.exclude(pk=race.pk)
            total = seats + sum(others.values_list("seats", flat=True))
            refuse_if_any(by_election_problems(fresh.compound_id, seats=total))
        if race is None:
            keys = list(Race.objects.filter(election=fresh).values_list("key", flat=True))
            race = Race(election=fresh, key=next_key("R", keys), position=len(keys) + 1)
        race.title, race.seats, race.alternates = title.strip(), seats, alternates
        race.full_clean()
        race.save()
        audit_election(
            "election.race_saved",
            fresh,
            actor=actor,
            summary=f"race {race.key}: {race.title}, {seats} seats",
            data={"race": race.pk, "key": race.key, "seats": seats, "alternates": alternates},
        )
    return race


def race_delete(
    *,
    race: Race,
    actor: Actor,
) -> None:
    with transaction.atomic():
        fresh = load_fresh(race.election)
        check_may_manage(actor, fresh.compound_id)
        check_setup_open(fresh)
        if race.candidates.exists() or race.nominations.exists():
            raise ElectionError(_("This race already has nominations or candidates."))
        audit_election(
            "election.race_deleted",
            fresh,
            actor=actor,
            summary=f"race {race.key} removed",
            data={"key": race.key, "title": race.title},
        )
        race.delete()
