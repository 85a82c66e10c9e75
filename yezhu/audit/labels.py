"""Audit rows for people: each action code ("ballot.cast") and the fixed summaries ("signed in") by
the words a reader expects (投票, 登录), in the reader's language.

The log itself keeps the codes and the English summaries, which scripts and exports match on;
the audit pages and the election history show `action_label` and `summary_text` beside them.
A code not listed here shows as itself: adding an action never breaks a page.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "sign_in": _("signed in"),
    "sign_in_failed": _("sign-in failed"),
    "sign_out": _("signed out"),
    "api.token_revoked": _("API token revoked"),
    "api.token_rotated": _("API token renewed"),
    "audit.exported": _("audit log downloaded"),
    "ballot.cast": _("ballot cast"),
    "bundle.exported": _("election bundle downloaded"),
    "claim.approved": _("home claim approved"),
    "claim.filed": _("home claimed"),
    "claim.rejected": _("home claim rejected"),
    "committee.changed": _("committee changed"),
    "committee.document_added": _("committee document added"),
    "committee.document_removed": _("committee document removed"),
    "committee.ended": _("committee term ended"),
    "committee.entity_updated": _("committee registration updated"),
    "committee.imported": _("committees imported"),
    "committee.member_removed": _("committee member removed"),
    "committee.member_saved": _("committee member saved"),
    "committee.registered": _("committee registered"),
    "committee.updated": _("committee updated"),
    "compound.created": _("compound created"),
    "compound.developer_set": _("developer recorded"),
    "compound.first_delivery": _("first delivery recorded"),
    "designation.active": _("co-owners' designation in force"),
    "designation.confirmed": _("co-owners' designation confirmed"),
    "designation.proposed": _("co-owners' designation proposed"),
    "designation.recorded": _("co-owners' designation recorded"),
    "designation.withdrawn": _("co-owners' designation withdrawn"),
    "election.case_step": _("case file step"),
    "election.committee_registered": _("elected committee registered"),
    "election.count_mismatch": _("count mismatch"),
    "election.count_queued": _("count started"),
    "election.created": _("election created"),
    "election.first_assembly_exception": _("first assembly exception"),
    "election.matter_deleted": _("matter deleted"),
    "election.matter_document_added": _("matter document added"),
    "election.matter_document_removed": _("matter document removed"),
    "election.matter_saved": _("matter saved"),
    "election.notice_published": _("assembly notice published"),
    "election.race_deleted": _("race deleted"),
    "election.race_saved": _("race saved"),
    "election.restarted": _("election restarted"),
    "election.result_published": _("result published"),
    "election.roll_frozen": _("roll frozen"),
    "election.scrutineer_added": _("scrutineer added"),
    "election.scrutineer_removed": _("scrutineer removed"),
    "election.settings": _("rules changed"),
    "election.stage": _("stage changed"),
    "election.start_approved": _("start approved"),
    "election.voting_opened": _("voting opened"),
    "election.voting_scheduled": _("voting window set"),
    "election.working_group_approval_lapsed": _("working group approval lapsed"),
    "election.working_group_approved": _("working group approved"),
    "election.working_group_member_added": _("working group member added"),
    "election.working_group_member_removed": _("working group member removed"),
    "election.working_group_published": _("working group list published"),
    "grid.contacts_viewed": _("grid contacts viewed"),
    "grid.visit": _("grid visit"),
    "holidays.seeded": _("holiday calendar loaded"),
    "job.files_purged": _("job files purged"),
    "meeting.abstentions": _("meeting abstentions recorded"),
    "meeting.attendance": _("meeting attendance recorded"),
    "meeting.attendance_withdrawn": _("meeting attendance withdrawn"),
    "nomination.accepted": _("nomination accepted by the nominee"),
    "nomination.approved": _("nomination approved"),
    "nomination.created": _("nomination made"),
    "nomination.flagged": _("nomination flagged"),
    "nomination.supported": _("nomination supported"),
    "nomination.vetted": _("nomination vetted"),
    "notice.created": _("notice written"),
    "notice.exported": _("proof of service downloaded"),
    "notice.opened": _("notice opened"),
    "notice.resent": _("notice resent"),
    "notice.scheduled": _("notice scheduled"),
    "notice.sent": _("notice sent"),
    "objection.answered": _("objection answered"),
    "objection.filed": _("objection filed"),
    "outreach.visit": _("visit recorded"),
    "paper.first_entry": _("paper ballot, first entry"),
    "paper.imported": _("paper ballots imported"),
    "paper.printed": _("paper ballots printed"),
    "paper.received_before_close": _("paper ballots confirmed received before the close"),
    "paper.resolved": _("paper ballot reviewed"),
    "paper.second_entry": _("paper ballot, second entry"),
    "paper.withdrawn": _("paper entry withdrawn"),
    "party.activity": _("party activity recorded"),
    "party.central_household": _("central household set"),
    "party.member_added": _("party member added"),
    "party.member_removed": _("party member removed"),
    "party.org_created": _("party organisation created"),
    "party.org_deleted": _("party organisation deleted"),
    "party.org_renamed": _("party organisation renamed"),
    "party.report_confirmed": _("party member report confirmed"),
    "party.report_filed": _("party member reported"),
    "party.report_rejected": _("party member report rejected"),
    "platform.imported": _("city platform result imported"),
    "proposal.convened": _("temporary assembly convened"),
    "proposal.created": _("owners' proposal made"),
    "proposal.reached": _("owners' proposal reached its share"),
    "proposal.signed": _("owners' proposal signed"),
    "proposal.withdrawn": _("owners' proposal withdrawn"),
    "proxy.authorised": _("proxy given"),
    "proxy.revoked": _("proxy revoked"),
    "reserve.added": _("reserve candidate added"),
    "reserve.withdrawn": _("reserve candidate withdrawn"),
    "result.exported": _("result downloaded"),
    "role.granted": _("role granted"),
    "role.revoked": _("role revoked"),
    "roll.exported": _("roll downloaded"),
    "roll.imported": _("roll imported"),
    "roll.voter_key_changed": _("owner grouping changed"),
    "street.export_board": _("street board downloaded"),
    "street.export_committees": _("committee register downloaded"),
    "street.export_composition": _("composition downloaded"),
    "street.export_figures": _("figures downloaded"),
    "street.settings": _("street settings changed"),
    "survey.answered": _("survey answered"),
    "survey.closed_early": _("survey closed early"),
    "survey.created": _("survey created"),
    "survey.exported": _("survey downloaded"),
    "survey.published": _("survey published"),
    "survey.question_added": _("survey question added"),
    "survey.question_removed": _("survey question removed"),
    "survey.updated": _("survey updated"),
    "user.changed": _("account changed"),
    "admin.created": _("added in the admin"),
    "admin.changed": _("changed in the admin"),
    "admin.deleted": _("deleted in the admin"),
}

#: Summaries written as fixed English phrases (sign-in and sign-out).
SUMMARY_LABELS = {
    "signed in": _("signed in"),
    "signed out": _("signed out"),
}


def action_label(code: str) -> str:
    """The action in words ("投票" for "ballot.cast"); the code itself if it has none yet."""
    label = ACTION_LABELS.get(code)
    if label is None and "." in code:
        # An admin's own audit prefix ("committee.created"): the verb of the admin rows.
        label = ACTION_LABELS.get(f"admin.{code.rsplit('.', 1)[1]}")
    return str(label) if label is not None else code


def summary_text(summary: str) -> str:
    """A fixed summary ("signed in") in words; any other summary as it was written."""
    label = SUMMARY_LABELS.get(summary)
    return str(label) if label is not None else summary
