"""The life of an election, for staff: setting it up and moving it through its stages.

Stages (``elections.models.Stage``, RULES.md §5–§6)::

    started → working_group → notice → nomination → vetting → candidate_notice → voting
            → counting → result_notice → filing → done
    (any open stage) → failed → restart (a new election) at "notice" or at "nomination"

A stage names the step that has been taken: ``notice`` means the assembly notice is out and the
notice period runs; ``result_notice`` means the tally is in and its result is (to be) posted for
objections. An election of kind ``matters_only`` skips nomination, vetting and the candidate
notice and opens voting from ``notice``.

The package, by concern:

- ``table``: the transition table. Each transition is one entry (name, source stages,
  preconditions with codes, parameters, label); the staff page, the API, the scheduler,
  :func:`blockers` and :func:`allowed_actions` all read it.
- ``preconditions``: what refuses each transition (codes and messages).
- ``stages``: the service of each transition, named as its entry.
- ``moves``: the safe stage change and its audit row.
- ``state``: reading an election's profile, dates, timeline and result problems.
- ``setup``: the election's settings, working group, matters and races.
- ``documents``: the documents a matter carries (drafts, quotes, budgets), checked by content.
- ``committees`` and ``cases``: the committee register and the case file.
- ``interim``, ``filings`` and ``escalation``: the committee between elections (RULES.md §7): the
  物业管理委员会, the tracked filings (变更备案) and handovers, and the escalations the street office
  must act on.

This module is the package's public face: callers write ``from elections import lifecycle`` and
``lifecycle.voting_close(...)``; the modules of the package import each other directly.
"""

from elections.lifecycle.cases import case_step_save
from elections.lifecycle.committees import (
    committee_document_add,
    committee_document_remove,
    committee_entity_update,
    committee_member_remove,
    committee_member_save,
    committee_register,
    committee_update,
)
from elections.lifecycle.documents import matter_document_add, matter_document_remove
from elections.lifecycle.escalation import escalation_order_election, escalations_sweep
from elections.lifecycle.filings import committee_change_recorded, deadline_done, deadline_rows
from elections.lifecycle.interim import (
    MemberSpec,
    convening_body,
    property_committee_convene,
    property_committee_dissolve_if_succeeded,
    property_committee_form,
)
from elections.lifecycle.preconditions import agenda_problems, group_problems, share_text
from elections.lifecycle.scrutineers import scrutineer_add, scrutineer_remove
from elections.lifecycle.setup import (
    election_create,
    election_update_settings,
    matter_delete,
    matter_save,
    race_delete,
    race_save,
    working_group_member_add,
    working_group_member_remove,
)
from elections.lifecycle.stages import (
    SERVICES,
    candidate_notice_publish,
    committee_from_result,
    election_count,
    election_count_run,
    election_fail,
    election_file,
    election_restart,
    first_assembly_exception,
    nominations_open,
    notice_publish,
    result_finalise,
    result_publish,
    start_approve,
    vetting_start,
    voting_close,
    voting_open,
    voting_schedule,
    working_group_approve,
    working_group_form,
    working_group_publish,
)
from elections.lifecycle.state import (
    COMMITTEE_KINDS,
    RESTART_AT,
    SETUP_STAGES,
    SILENT_MAJORITY_UNSUPPORTED,
    STAGE_ORDER,
    ReelectionRow,
    TimelineView,
    WorkingGroupMakeup,
    case_file_wanted,
    challenge_window,
    committee_of,
    committee_size_rules,
    committee_status,
    effective_profile,
    election_timeline,
    first_assembly_exception_of,
    first_assembly_status,
    key_dates,
    next_deadline,
    overrides_of,
    reelection_alerts,
    restart_links,
    restart_title,
    result_problems,
    rule_label,
    stage_index,
    street_profile_key,
    working_group_makeup,
)
from elections.lifecycle.table import NAMES as ACTIONS
from elections.lifecycle.table import TRANSITIONS, Transition, allowed_actions, blockers, transition

__all__ = [
    "ACTIONS",
    "MemberSpec",
    "committee_change_recorded",
    "convening_body",
    "deadline_done",
    "deadline_rows",
    "escalation_order_election",
    "escalations_sweep",
    "property_committee_convene",
    "property_committee_dissolve_if_succeeded",
    "property_committee_form",
    "agenda_problems",
    "group_problems",
    "share_text",
    "COMMITTEE_KINDS",
    "RESTART_AT",
    "SERVICES",
    "SETUP_STAGES",
    "SILENT_MAJORITY_UNSUPPORTED",
    "STAGE_ORDER",
    "TRANSITIONS",
    "ReelectionRow",
    "TimelineView",
    "Transition",
    "WorkingGroupMakeup",
    "allowed_actions",
    "blockers",
    "candidate_notice_publish",
    "case_file_wanted",
    "case_step_save",
    "challenge_window",
    "committee_document_add",
    "committee_document_remove",
    "committee_entity_update",
    "committee_from_result",
    "committee_member_remove",
    "committee_member_save",
    "committee_of",
    "committee_register",
    "committee_size_rules",
    "committee_status",
    "committee_update",
    "effective_profile",
    "election_create",
    "election_count",
    "election_count_run",
    "election_fail",
    "election_file",
    "election_restart",
    "election_timeline",
    "election_update_settings",
    "first_assembly_exception",
    "first_assembly_exception_of",
    "first_assembly_status",
    "scrutineer_add",
    "scrutineer_remove",
    "key_dates",
    "matter_delete",
    "matter_document_add",
    "matter_document_remove",
    "matter_save",
    "next_deadline",
    "nominations_open",
    "notice_publish",
    "overrides_of",
    "race_delete",
    "race_save",
    "reelection_alerts",
    "restart_links",
    "restart_title",
    "result_finalise",
    "result_problems",
    "result_publish",
    "rule_label",
    "stage_index",
    "start_approve",
    "street_profile_key",
    "transition",
    "vetting_start",
    "voting_close",
    "voting_open",
    "voting_schedule",
    "working_group_approve",
    "working_group_form",
    "working_group_member_add",
    "working_group_makeup",
    "working_group_member_remove",
    "working_group_publish",
]
