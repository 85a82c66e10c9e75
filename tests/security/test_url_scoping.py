"""Every URL pattern of the site, walked from the root URL conf, refuses the people outside its scope.

`RECIPES` maps each pattern name to how its kwargs are built from the fixture world of street A
(tests/security/__init__.py), what kind of page it is, and who is its rightful user. A pattern
that is neither in `RECIPES` nor in the commented `PUBLIC` allow-list fails
`test_it_has_a_recipe_for_every_url_pattern`, so a new view cannot escape the walk.

Kinds (who is an outsider):
- manage: runs a compound's election or roll: street B's staff, auditor and grid leader, street A's
  owners, grid leaders and auditor (none of them manage), and anonymous.
- staff: staff reads (boards, exports): street B's staff and owners, street A's owners, anonymous.
- owner: an owner's page of an election in street A: street B's staff and owner, anonymous.
- self: one person's object (a vote, a receipt, a nomination, a job): anybody else, staff included.
- grid: a grid leader's page: street B's staff and leader, street A's owners, anonymous.
- list: a page without an object (an index, a form, a template): anyone signed in may get 200,
  but the outsiders' page must not show street A's data; anonymous never gets 200.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import sign_in
from tests.security import A_COMPOUND_NAME, A_TITLES, build_world

# Public patterns: no scope to enforce, each for its reason.
PUBLIC = {
    "home",  # the landing page: shows only the signed-in person's own homes and links
    "healthz",  # the load balancer's probe
    "sms_report_tencent",  # Tencent's SMS status callback: a secret token in the path (test_sms_reports)
    "favicon.ico",  # a redirect to a static file (unnamed: listed by its route)
    "set_language",  # django.conf.urls.i18n: the language switch (POST form)
    "switch_language",  # the language switch as a link: sets a cookie, redirects to a local path
    "api:schema",  # the OpenAPI document: describes endpoints, holds no data
    "api:docs",  # the local API docs page for the schema
    "api:^[\\s\\S]*$",  # the JSON 404 for every unknown /api/v1/ path (unnamed: by route)
}
# Whole namespaces with their own access rules, tested separately: allauth's sign-in views
# (public by nature) and the Django admin (test_it_sends_non_staff_away_from_the_admin).
PUBLIC_NAMESPACES = ("admin:",)
PUBLIC_ROUTE_PREFIXES = ("accounts/",)

# s_*: the same street's other community and compound (its working group, community staff, an owner).
OUTSIDERS = {
    "manage": [
        "anon", "b_staff", "b_auditor", "b_leader", "a_owner", "a_leader", "a_auditor",
        "s_wg", "s_community", "s_owner",
    ],
    "staff": ["anon", "b_staff", "b_owner", "b_leader", "a_owner", "s_wg", "s_owner"],
    "owner": ["anon", "b_staff", "b_owner", "b_leader", "s_wg", "s_community", "s_owner"],
    "grid": ["anon", "b_staff", "b_leader", "a_owner", "s_wg", "s_community", "s_owner"],
    "list": ["anon", "b_staff", "b_owner", "b_leader", "s_wg", "s_owner"],
    "self": ["anon", "b_staff", "b_owner", "s_wg", "s_owner"],
}  # fmt: skip
OK_REFUSALS = {401, 403, 404}


@dataclass
class Recipe:
    kind: str
    kwargs: object = None  # world → dict
    legit: str = "a_staff"  # who may open it (checked to be < 400 on GET, so the recipe is real)
    also: list[str] = field(default_factory=list)  # more outsiders for this pattern
    get_ok: bool = True  # False: GET is not the page (POST only, or a download that redirects)

    def build(self, world) -> dict:
        return self.kwargs(world) if self.kwargs else {}


def R(kind, kwargs=None, legit="a_staff", also=(), get_ok=True):  # noqa: N802 - reads as a table
    return Recipe(kind, kwargs, legit, list(also), get_ok)


def e(name, **more):
    """kwargs {"pk": world.<name>.pk, …} with more kwargs taken from the world by attribute."""

    def build(w):
        out = {"pk": getattr(w, name).pk}
        for key, attr in more.items():
            out[key] = getattr(w, attr).pk if isinstance(attr, str) and hasattr(w, attr) else attr
        return out

    return build


def kw(**spec):
    def build(w):
        return {k: (v(w) if callable(v) else getattr(w, v).pk) for k, v in spec.items()}

    return build


def _support_token(w):
    from elections.views.nominations import support_token

    return support_token(w.nomination)


def _property_committee(w):
    """Street A's 物管会 (made once, directly: the recipe needs a row, not the service's rules)."""
    from datetime import date

    from elections.models import PropertyCommittee

    body, _created = PropertyCommittee.objects.get_or_create(
        compound=w.compound,
        dissolved_on=None,
        defaults={
            "basis": "no_successor",
            "formed_on": date(2026, 7, 1),
            "term_start": date(2026, 7, 1),
            "term_end": date(2029, 6, 30),
            "publicity_start": date(2026, 7, 1),
            "publicity_end": date(2026, 7, 8),
        },
    )
    return body


def _deadline(w):
    from datetime import date

    from elections.models import CommitteeDeadline

    found, _created = CommitteeDeadline.objects.get_or_create(
        compound=w.compound,
        committee=w.committee,
        kind="filing",
        change="chair",
        event_on=date(2026, 3, 2),
        defaults={"due_on": date(2026, 4, 1)},
    )
    return found


def _escalation(w):
    from datetime import date

    from elections.models import Escalation

    found, _created = Escalation.objects.get_or_create(
        compound=w.compound,
        reason="term_expired",
        resolved_on=None,
        defaults={"overdue_since": date(2026, 6, 1), "raised_on": date(2026, 8, 1), "committee": w.committee},
    )
    return found


def _import_job(w):
    from grids.tasks import IMPORT_KIND
    from yezhu.jobs.models import Job

    return Job.objects.create(
        kind=IMPORT_KIND, created_by=w.users["a_staff"], compound_id=w.compound.pk, status="done"
    ).pk


def _a_token(w):
    from tests.factories import api_token
    from yezhu.accounts.models import ApiToken

    api_token(w.users["a_owner"])
    return ApiToken.objects.filter(user=w.users["a_owner"]).latest("pk").pk


def _a_scrutineer(w):
    from elections.models import Scrutineer

    return Scrutineer.objects.create(
        election=w.e_nom, user=w.users["a_owner"], name="监票人", added_by=w.users["a_staff"]
    ).pk


def _a_mass_send(w):
    from decimal import Decimal

    from elections.models import MassSend

    send, _created = MassSend.objects.get_or_create(
        notice=w.notice,
        round=1,
        defaults={
            "compound": w.notice.compound,
            "street_id": w.notice.compound.community.street_id,
            "audience": w.notice.audience,
            "recipients": 1,
            "sms_recipients": 1,
            "segments": 1,
            "messages": 1,
            "price": Decimal("0.045"),
            "cost": Decimal("0.045"),
            "month": w.notice.sent_at.date().replace(day=1),
            "status": MassSend.Status.PENDING,
            "requested_by": w.users["a_staff"],
        },
    )
    return send.pk


RECIPES: dict[str, Recipe] = {
    # -- site ---------------------------------------------------------------------------------
    "sms_outbox": R("list"),  # Django staff only, and only with DEBUG on
    "job_status": R("self", kw(pk="upload_job"), also=["a_wg", "a_auditor"]),
    # -- owners' election pages (/e/) -------------------------------------------------------------
    "elections:detail": R("owner", e("e_vote"), legit="a_owner"),
    "elections:results": R("owner", e("e_closed"), legit="a_owner"),
    "elections:board": R("owner", e("e_closed"), legit="a_owner"),
    "elections:bundle": R("owner", e("e_closed"), legit="a_owner"),
    "elections:vote": R(
        "self", e("e_vote", voter_id="voter"), legit="a_owner", also=["a_voter", "a_staff", "a_leader"]
    ),
    "elections:receipt": R(
        "self",
        kw(pk="e_vote", code=lambda w: w.ballot.receipt),
        legit="a_voter",
        also=["a_owner", "a_leader"],
    ),
    "elections:proxy_give": R(
        "self", e("e_vote", voter_id="voter"), legit="a_owner", also=["a_voter", "a_staff"]
    ),
    "elections:proxy_revoke": R("self", e("e_vote", proxy_id="proxy"), legit="a_principal", also=["a_owner"]),
    "elections:designate": R(
        "self", e("e_vote", voter_id="voter"), legit="a_owner", also=["a_voter", "a_staff"]
    ),
    "elections:nominate": R("owner", e("e_nom"), legit="a_owner"),
    "elections:my_nominations": R("owner", e("e_nom"), legit="a_owner"),
    "elections:nomination_respond": R(
        "self", e("e_nom", nid="nomination"), legit="a_owner", also=["a_voter"]
    ),
    "elections:nomination_accept": R(
        "self", e("e_nom", nid="nomination"), legit="a_owner", also=["a_voter"], get_ok=False
    ),
    "elections:nomination_decline": R(
        "self", e("e_nom", nid="nomination"), legit="a_owner", also=["a_voter"], get_ok=False
    ),
    "elections:nomination_support": R("owner", kw(pk="e_nom", token=_support_token), legit="a_voter"),
    "elections:candidate_notice": R("owner", e("e_closed"), legit="a_owner"),
    "elections:candidate_photo": R("owner", e("e_closed", cid="candidate"), legit="a_owner"),
    "elections:objection_file": R("owner", e("e_closed"), legit="a_owner"),
    "elections:turnout": R("owner", e("e_vote"), legit="a_owner"),
    "elections:inbox": R("list", legit="a_owner"),
    "elections:surveys": R("list", legit="a_owner"),
    "elections:survey": R("owner", kw(pk="survey"), legit="a_owner"),
    "elections:inbox_notice": R(
        "self",
        kw(pk=lambda w: w.notice.deliveries.get(channel="inbox").pk),
        legit="a_owner",
        also=["a_voter"],
    ),
    # -- compounds and rolls (/manage/compounds/) -------------------------------------------------
    "grids:compounds": R("list"),
    "grids:claim": R("list", legit="nobody"),
    "grids:template_xlsx": R("list"),
    "grids:template_csv": R("list"),
    "grids:compound": R("staff", kw(pk="compound"), also=["a_leader"]),
    "grids:roll_upload": R("manage", kw(pk="compound")),
    "grids:roll_preview": R("manage", kw(pk="compound", job_id="upload_job"), also=["a_wg"]),
    "grids:roll_commit": R("manage", kw(pk="compound", job_id="upload_job"), also=["a_wg"], get_ok=False),
    "grids:roll_progress": R("manage", kw(pk="compound", job_id=_import_job), also=["a_wg"]),
    "grids:roll_export": R("staff", kw(pk="compound"), also=["a_leader"]),  # masked for auditors
    "grids:claims": R("manage", kw(pk="compound")),
    "grids:developer": R("manage", kw(pk="compound"), get_ok=False),
    "grids:claim_approve": R("manage", kw(pk="compound", claim_id="claim"), get_ok=False),
    "grids:claim_reject": R("manage", kw(pk="compound", claim_id="claim"), get_ok=False),
    # -- running elections (/manage/) -------------------------------------------------------------
    "manage:index": R("list"),
    "manage:election_new": R("list"),
    "manage:election": R("manage", e("e_vote")),
    "manage:count_status": R("manage", e("e_vote")),
    "manage:do": R("manage", e("e_vote", action="voting_close"), get_ok=False),
    "manage:candidate_notice_publish": R("manage", e("e_nom"), get_ok=False),
    "manage:settings": R("manage", e("e_nom"), get_ok=False),
    "manage:override": R("manage", e("e_nom"), get_ok=False),
    "manage:timeline": R("manage", e("e_nom")),
    "manage:matters": R("manage", e("e_nom")),
    "manage:matter_add": R("manage", e("e_nom"), get_ok=False),
    "manage:matter_edit": R("manage", e("e_nom", mid="matter")),
    "manage:matter_delete": R("manage", e("e_nom", mid="matter"), get_ok=False),
    "manage:race_add": R("manage", e("e_nom"), get_ok=False),
    "manage:race_edit": R("manage", e("e_nom", rid="race")),
    "manage:race_delete": R("manage", e("e_nom", rid="race"), get_ok=False),
    "manage:working_group": R("manage", e("e_nom")),
    "manage:working_group_remove": R("manage", e("e_nom", mid=1), get_ok=False),
    "manage:working_group_notice": R("manage", e("e_nom")),
    "manage:scrutineers": R("manage", e("e_nom")),
    "manage:scrutineer_remove": R("manage", kw(pk="e_nom", sid=_a_scrutineer), get_ok=False),
    "manage:case_file": R("manage", e("e_closed")),
    "manage:case_step": R("manage", e("e_closed", step=1), get_ok=False),
    "manage:committees": R("manage", kw(cpk="compound")),
    "manage:committee_new": R("manage", kw(cpk="compound")),
    "manage:committee": R("manage", kw(pk="committee")),
    "manage:committee_member_add": R("manage", kw(pk="committee"), get_ok=False),
    "manage:committee_member": R("manage", kw(pk="committee", mid="member"), get_ok=False),
    "manage:committee_member_remove": R("manage", kw(pk="committee", mid="member"), get_ok=False),
    "manage:nominations": R("manage", e("e_nom")),
    "manage:nomination_new": R("manage", e("e_nom")),
    "manage:vetting": R("manage", e("e_nom", nid="vetted")),
    "manage:vetting_flag": R("manage", e("e_nom", nid="vetted"), get_ok=False),
    "manage:vetting_opinions": R("manage", e("e_nom", nid="vetted"), get_ok=False),
    "manage:nomination_decide": R("manage", e("e_nom", nid="vetted"), get_ok=False),
    "manage:nomination_paper_answer": R("manage", e("e_nom", nid="nomination"), get_ok=False),
    "manage:nomination_photo": R("manage", e("e_nom", nid="nomination")),
    "manage:vetting_evidence": R("manage", e("e_nom", fid="flag")),
    "manage:objections": R("manage", e("e_closed")),
    "manage:objection_answer": R("manage", e("e_closed", oid="objection"), get_ok=False),
    "manage:print_notice": R("manage", e("e_nom", kind="assembly"), get_ok=False),
    "manage:paper": R("manage", e("e_vote")),
    "manage:paper_print_building": R("manage", e("e_vote", building_id="building")),
    "manage:paper_print_voter": R("manage", e("e_vote", voter_id="voter")),
    "manage:paper_entry": R("manage", e("e_vote")),
    "manage:paper_review_list": R("manage", e("e_vote")),
    "manage:paper_review": R("manage", e("e_vote", entry_id="entry")),
    "manage:paper_withdraw": R("manage", e("e_vote", entry_id="entry")),
    "manage:paper_import": R("manage", e("e_vote")),
    "manage:paper_import_template": R("manage", e("e_vote")),
    "manage:paper_import_job": R("manage", e("e_vote", job_id="paper_job"), also=["a_wg"]),
    "manage:turnout": R("staff", e("e_vote"), also=["a_leader"]),  # auditors read turnout too
    "manage:proxies": R("manage", e("e_vote")),
    "manage:proxy_revoke": R("manage", e("e_vote", proxy_id="proxy")),
    "manage:designations": R("manage", e("e_vote")),
    "manage:platform_import": R("manage", e("e_vote")),
    "manage:meeting": R("manage", e("e_vote")),
    "manage:attendance_withdraw": R("manage", e("e_vote", attendance_id=1), get_ok=False),
    "manage:platform_import_template": R("manage", e("e_vote")),
    "manage:platform_import_job": R("manage", e("e_vote", job_id=1), get_ok=False),
    "manage:designation_withdraw": R("manage", e("e_vote", designation_id=1), get_ok=False),
    "manage:results_xlsx": R("staff", e("e_closed")),
    "manage:notice_list": R("manage", e("e_vote")),
    "manage:notice_new": R("manage", e("e_vote"), get_ok=False),
    "manage:notice_export": R("manage", e("e_vote"), get_ok=False),
    "manage:notice_export_job": R("manage", e("e_vote", job_pk="export_job"), also=["a_wg"]),
    "manage:notice_export_download": R("manage", e("e_vote", job_pk="export_job"), also=["a_wg"]),
    "manage:notice_detail": R("manage", e("e_vote", notice_pk="notice")),
    "manage:notice_send": R("manage", e("e_vote", notice_pk="notice"), get_ok=False),
    "manage:notice_schedule": R("manage", e("e_vote", notice_pk="notice"), get_ok=False),
    "manage:notice_resend": R("manage", e("e_vote", notice_pk="notice"), get_ok=False),
    "manage:notice_estimate": R("manage", e("e_vote", notice_pk="notice")),
    "manage:mass_send_detail": R("manage", kw(pk="e_vote", notice_pk="notice", send_pk=_a_mass_send)),
    "manage:mass_send_status": R("manage", kw(pk="e_vote", notice_pk="notice", send_pk=_a_mass_send)),
    "manage:mass_send_approve": R(
        "manage", kw(pk="e_vote", notice_pk="notice", send_pk=_a_mass_send), get_ok=False
    ),
    "manage:mass_send_refuse": R(
        "manage", kw(pk="e_vote", notice_pk="notice", send_pk=_a_mass_send), get_ok=False
    ),
    "manage:committee_entity": R("manage", kw(pk="committee")),
    "manage:committee_document_add": R("manage", kw(pk="committee"), get_ok=False),
    "manage:committee_document": R("manage", kw(pk="committee", did="committee_document")),
    "manage:committee_document_remove": R(
        "manage", kw(pk="committee", did="committee_document"), get_ok=False
    ),
    "manage:committee_vacancies": R("manage", kw(pk="committee")),
    "manage:committee_vacancy_filed": R("manage", kw(pk="committee"), get_ok=False),
    "manage:committee_removal_propose": R("manage", kw(pk="committee"), get_ok=False),
    "manage:committee_removal_agenda": R("manage", kw(pk="committee"), get_ok=False),
    "manage:surveys": R("manage", kw(cpk="compound")),
    "manage:survey": R("manage", kw(pk="survey")),
    "manage:survey_question_add": R("manage", kw(pk="survey"), get_ok=False),
    "manage:survey_question_remove": R("manage", kw(pk="survey", qid="question"), get_ok=False),
    "manage:survey_publish": R("manage", kw(pk="survey"), get_ok=False),
    "manage:survey_close": R("manage", kw(pk="survey"), get_ok=False),
    "manage:survey_export": R("manage", kw(pk="survey")),
    "manage:outreach": R("manage", e("e_nom")),
    "manage:reserve": R("manage", kw(cpk="compound")),
    "manage:reserve_withdraw": R("manage", kw(rid="reserve"), get_ok=False),
    # -- grid leaders (/grid/) --------------------------------------------------------------------
    "grid:index": R("list", legit="a_leader"),
    "grid:election": R("grid", e("e_vote"), legit="a_leader"),
    "grid:voter": R("grid", e("e_vote", voter_id="grid2_voter"), legit="a_leader2", also=["a_leader"]),
    "grid:outreach": R("grid", e("e_nom"), legit="a_leader"),
    "grid:outreach_home": R("grid", e("e_nom", unit_id="grid2_unit"), legit="a_leader2", also=["a_leader"]),
    # -- the street board (/street/) --------------------------------------------------------------
    "street:board": R("list"),
    "street:district": R("list", get_ok=False),  # needs a district role; street staff get 404
    "street:timeline": R("list"),
    "street:compound": R("staff", kw(pk="compound"), also=["a_leader"]),
    "street:export_board": R("list"),
    "street:export_figures": R("list"),
    "street:import_committees": R("list"),
    "street:settings": R("list"),
    "street:composition": R("list"),
    "street:export_composition": R("list"),
    "street:export_committees": R("list"),
    "street:property_committee_form": R("staff", kw(pk="compound")),
    "street:committee_change": R("staff", kw(pk="compound"), get_ok=False),
    "street:property_committee": R("staff", kw(pk=lambda w: _property_committee(w).pk)),
    "street:property_committee_convene": R("staff", kw(pk=lambda w: _property_committee(w).pk), get_ok=False),
    "street:deadline_done": R("staff", kw(pk=lambda w: _deadline(w).pk), get_ok=False),
    "street:deadline_print": R("staff", kw(pk=lambda w: _deadline(w).pk)),
    "street:escalation_order": R("staff", kw(pk=lambda w: _escalation(w).pk), get_ok=False),
    # -- the party organisation (/party/): auditors read it; the branch's officers run their branch ----
    "party:index": R("list"),
    "party:org_create": R("manage", get_ok=False),
    "party:org": R("staff", kw(pk="branch"), also=["a_leader", "a_wg", "s_community", "b_auditor"]),
    "party:org_rename": R("manage", kw(pk="branch"), also=["a_wg"], get_ok=False),
    "party:org_delete": R("manage", kw(pk="party_group"), also=["a_wg"], get_ok=False),
    "party:org_child": R("manage", kw(pk="branch"), also=["a_wg"], get_ok=False),
    "party:member_add": R("manage", kw(pk="branch"), also=["a_wg"], get_ok=False),
    "party:member": R("staff", kw(pk="party_member"), also=["a_leader", "a_wg", "s_community", "b_auditor"]),
    "party:member_remove": R("manage", kw(pk="party_member"), also=["a_wg"], get_ok=False),
    "party:member_activity": R("manage", kw(pk="party_member"), also=["a_wg"], get_ok=False),
    "party:member_central": R(
        "manage",
        kw(pk="party_member", unit_id=lambda w: w.building.units.first().pk),
        also=["a_wg"],
        get_ok=False,
    ),
    "party:report": R("list", legit="a_owner"),
    "party:report_confirm": R("manage", kw(pk="party_report"), also=["a_wg"], get_ok=False),
    "party:report_reject": R("manage", kw(pk="party_report"), also=["a_wg"], get_ok=False),
    # -- the audit log (/audit/) ------------------------------------------------------------------
    "audit:index": R("list", legit="a_auditor"),
    "audit:export": R("list", legit="a_auditor"),
    # -- the API (/api/v1/) -----------------------------------------------------------------------
    "api:compound-list": R("list"),
    "api:compound-detail": R("owner", kw(pk="compound"), legit="a_owner"),
    "api:compound-roll-import": R("manage", kw(pk="compound"), get_ok=False),
    "api:building-list": R("list"),
    "api:building-detail": R("owner", kw(pk="building"), legit="a_owner"),
    "api:unit-list": R("list"),
    "api:unit-detail": R(
        "staff", kw(pk=lambda w: w.compound.units.get(code="2-2-302").pk), also=["a_leader"]
    ),
    "api:election-list": R("list"),
    "api:election-detail": R("owner", e("e_vote"), legit="a_owner"),
    "api:election-board": R("owner", e("e_closed"), legit="a_owner"),
    "api:election-bundle": R("owner", e("e_closed"), legit="a_owner"),
    "api:election-candidates": R("owner", e("e_closed"), legit="a_owner"),
    "api:election-matters": R("owner", e("e_vote"), legit="a_owner"),
    "api:election-milestones": R("staff", e("e_vote")),
    "api:election-races": R("owner", e("e_vote"), legit="a_owner"),
    "api:election-results": R("owner", e("e_closed"), legit="a_owner"),
    "api:election-turnout": R("owner", e("e_vote"), legit="a_owner"),
    "api:election-actions": R("manage", e("e_vote")),
    "api:election-action": R("manage", kw(pk="e_vote", name=lambda w: "voting_close"), get_ok=False),
    "api:election-objections": R("owner", e("e_closed"), legit="a_owner"),
    "api:election-objection-answer": R("manage", kw(pk="e_closed", objection_pk="objection"), get_ok=False),
    "api:nomination-list": R("owner", kw(election_pk="e_nom"), legit="a_owner"),
    "api:nomination-detail": R(
        "self", kw(election_pk="e_nom", pk="nomination"), legit="a_owner", also=["a_voter"]
    ),
    "api:nomination-accept": R(
        "self", kw(election_pk="e_nom", pk="nomination"), legit="a_owner", also=["a_voter"], get_ok=False
    ),
    "api:nomination-decline": R(
        "self", kw(election_pk="e_nom", pk="nomination"), legit="a_owner", also=["a_voter"], get_ok=False
    ),
    "api:nomination-decide": R("manage", kw(election_pk="e_nom", pk="vetted"), get_ok=False),
    "api:nomination-support": R(
        "owner", kw(election_pk="e_nom", pk="nomination"), legit="a_owner", also=["a_voter"], get_ok=False
    ),
    "api:ballot": R("owner", kw(election_pk="e_vote"), legit="a_owner"),
    "api:token": R("list", legit="a_owner", get_ok=False),  # POST makes your own token
    # -- the first assembly, matters' documents, owners' proposals ----------------------------------
    "elections:document": R("owner", e("e_closed", did="document"), legit="a_owner"),
    "elections:proposals": R("list", legit="a_owner"),
    "elections:proposal_new": R("list", legit="a_owner"),  # 404 without a home; own compounds only
    "elections:proposal": R("owner", kw(pk="proposal"), legit="a_owner"),
    "elections:proposal_sign": R("owner", kw(pk="proposal"), legit="a_owner", get_ok=False),
    "elections:proposal_withdraw": R("owner", kw(pk="proposal"), legit="a_owner", get_ok=False),
    "manage:matter_document_add": R("manage", e("e_nom", mid="matter"), get_ok=False),
    "manage:matter_document": R("manage", e("e_closed", did="document")),
    "manage:matter_document_remove": R("manage", e("e_closed", did="document"), get_ok=False),
    "manage:first_delivery": R("manage", e("e_first"), get_ok=False),
    "manage:exception_document": R("manage", e("e_first")),
    "manage:proposals": R("manage", kw(cpk="compound")),
    "manage:proposal_convene": R("manage", kw(pk="proposal"), get_ok=False),
    "api:token-list": R("list", legit="a_owner"),  # your own tokens, never another's
    "api:token-detail": R("self", kw(pk=_a_token), legit="a_owner", get_ok=False),  # DELETE only
}


def walk(patterns=None, prefix: str = "", namespace: str = ""):
    """Yield (name, route, pattern) for every URL pattern under the root URL conf, recursively."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from walk(p.url_patterns, route, ns)
        elif isinstance(p, URLPattern):
            if p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
            else:
                name = f"{namespace}:{p.pattern}" if namespace else str(p.pattern)
            yield name, route, p


def _is_public(name: str, route: str) -> bool:
    return name in PUBLIC or name.startswith(PUBLIC_NAMESPACES) or route.startswith(PUBLIC_ROUTE_PREFIXES)


def probed_patterns() -> list[tuple[str, str]]:
    return [(name, route) for name, route, _p in walk() if not _is_public(name, route)]


def client_for(world, key: str) -> Client:
    client = Client()
    if key != "anon":
        sign_in(client, world.users[key])
    return client


def url_of(name: str, world) -> str:
    return reverse(name, kwargs=RECIPES[name].build(world))


def a_markers(world) -> list[str]:
    return [A_COMPOUND_NAME, *A_TITLES.values()]


def _refused(response, who: str) -> bool:
    if who == "anon" and response.status_code == 302:
        return "/accounts/" in response["Location"] or "/admin/login" in response["Location"]
    return response.status_code in OK_REFUSALS


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def test_it_has_a_recipe_for_every_url_pattern():
    """Every URL pattern outside the public allow-list has a recipe: a new view cannot escape."""
    names = [name for name, _route in probed_patterns()]
    missing = sorted(set(names) - set(RECIPES))
    assert not missing, (
        f"URL patterns without a scoping recipe in tests/security/test_url_scoping.py: {missing}"
    )
    stale = sorted(set(RECIPES) - set(names))
    assert not stale, f"recipes for URL patterns that no longer exist: {stale}"
    assert len(names) == len(set(names)), "two URL patterns share a name"


def test_it_walks_every_included_url_conf():
    """The walk reaches into every include: the feature pages and the API's router."""
    names = {name for name, _route in probed_patterns()}
    for namespace in ("elections:", "manage:", "grids:", "grid:", "street:", "party:", "api:", "audit:"):
        assert any(n.startswith(namespace) for n in names), namespace


def _check(world, name: str, failures: list[str]) -> None:
    recipe = RECIPES[name]
    url = url_of(name, world)
    markers = a_markers(world)
    # The rightful user reaches the page: the recipe builds a real URL, not a 404 by accident.
    legit = client_for(world, recipe.legit).get(url)
    if recipe.get_ok and legit.status_code >= 400:
        failures.append(f"{name} {url}: rightful user {recipe.legit} got {legit.status_code}")
    for who in OUTSIDERS[recipe.kind] + recipe.also:
        client = client_for(world, who)
        got = client.get(url)
        if recipe.kind == "list" and who != "anon":
            body = _body(got) if got.status_code == 200 else ""
            leaked = [m for m in markers if m in body]
            if leaked:
                failures.append(f"{name} {url}: {who} sees street A's data {leaked}")
            continue
        if got.status_code == 200:
            failures.append(f"{name} {url}: {who} got 200 on GET")
        elif got.status_code != 405 and not _refused(got, who):
            failures.append(f"{name} {url}: {who} got {got.status_code} on GET")
        body = _body(got) if got.status_code != 302 else ""
        leaked = [m for m in markers if m in body]
        if leaked:
            failures.append(f"{name} {url}: {who} sees street A's data {leaked}")
        posted = client.post(url, {})
        if posted.status_code == 405:
            continue  # a read-only page
        if not _refused(posted, who):
            failures.append(f"{name} {url}: {who} got {posted.status_code} on POST")


@pytest.mark.parametrize("prefix", ["elections:", "manage:", "grids:", "grid:", "street:", "api:", "other"])
def test_it_refuses_everyone_outside_the_scope_of_each_url(world, prefix):
    """Anonymous, another street's staff, owners and grid leaders outside the scope get 401/403/404
    (or the sign-in page) on GET and POST, never 200 and never street A's data; the rightful user
    gets the page."""
    known = ("elections:", "manage:", "grids:", "grid:", "street:", "api:")
    names = [
        n
        for n, _r in probed_patterns()
        if (n.startswith(prefix) if prefix != "other" else not n.startswith(known))
    ]
    assert names
    failures: list[str] = []
    for name in names:
        _check(world, name, failures)
    assert not failures, "\n".join(failures)


def test_it_sends_non_staff_away_from_the_admin(world):
    """The admin has its own permission system: anonymous and signed-in non-staff users are sent to
    its sign-in page, and a superuser reaches it."""
    for who in ("anon", "a_owner", "a_staff", "b_staff"):
        response = client_for(world, who).get("/admin/")
        assert response.status_code == 302, who
        assert "/admin/login/" in response["Location"], who
    response = client_for(world, "superuser").get("/admin/")
    assert response.status_code == 200


def test_it_refuses_an_api_route_to_an_anonymous_client(world):
    """The API answers anonymous requests with 401/403 in JSON, never data."""
    client = Client()
    for name, _route in probed_patterns():
        if not name.startswith("api:"):
            continue
        response = client.get(url_of(name, world))
        assert response.status_code in (401, 403, 405), (name, response.status_code)
        assert re.search(r"^application/json", response["Content-Type"]), name
