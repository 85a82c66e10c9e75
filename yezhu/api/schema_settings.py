"""drf-spectacular settings of the API schema: plain data (no Django import), so that settings.py
may use them too: `SPECTACULAR_SETTINGS = {**SCHEMA_SETTINGS, "SERVE_INCLUDE_SCHEMA": False}`.

The schema view (/api/schema/) applies them itself; so does
`manage.py spectacular --validate --fail-on-warn --custom-settings yezhu.api.schema_settings.SCHEMA_SETTINGS`.
"""

DESCRIPTION = """业主议事 API: owners' committee elections and owners' assembly votes.

Authentication: a session (signed in on the site; unsafe methods need the CSRF token) or a token
(`Authorization: Bearer <key>`, or `Authorization: Token <key>`, created at POST
/api/v1/auth/token/ with a session). Every answer is scoped as
the pages are: an object outside your scope is 404. Errors have one body:
`{"error": {"code": "...", "message": "...", "fields": {...}}}`. See docs/api.md.
"""

SCHEMA_SETTINGS = {
    "TITLE": "Yezhu API",
    "DESCRIPTION": DESCRIPTION,
    "VERSION": "1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Enum names are English (the labels in their descriptions stay Chinese), ids are integers.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "yezhu.api.schema_hooks.for_generators",
    ],
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "grids.models.Unit.Kind",
        "UnitStatusEnum": "grids.models.Unit.Status",
        "ElectionKindEnum": "elections.models.Election.Kind",
        "StageEnum": "elections.models.Stage",
        "BallotStatusEnum": "elections.models.Ballot.Status",
        "NominationStatusEnum": "elections.models.Nomination.Status",
        "NominationSourceEnum": "elections.models.Nomination.Source",
    },
    "TAGS": [
        {"name": "auth", "description": "API tokens"},
        {"name": "compounds", "description": "Compounds, buildings, units, the housing roll"},
        {"name": "elections", "description": "Elections, milestones, matters, races, candidates, turnout"},
        {"name": "nominations", "description": "Nominations (推荐/自荐) and vetting decisions"},
        {"name": "ballot", "description": "Your ballot: status and casting"},
        {"name": "results", "description": "After the close: result, ballot board, bundle"},
    ],
}
