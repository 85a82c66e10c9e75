"""The REST API under /api/v1/ (Django REST framework) and its OpenAPI schema (/api/schema/, /api/docs/).

Every endpoint reaches data through the scoped selectors of grids.selectors and
elections.selectors, exactly as the pages do, and every change through a service, so the page,
the API and a management command behave the same. See docs/api.md.
"""
