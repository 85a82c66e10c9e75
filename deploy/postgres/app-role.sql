-- The application's database role (yezhu/accounts/management/commands/db_app_role.py runs this file
-- after every `migrate`, as the owner role; docs/operations.md §3).
--
--   owner role (POSTGRES_USER, e.g. yezhu): owns the schema and every table; only `migrate` uses it.
--   app role   (e.g. yezhu_app): what web, worker and beat connect as. It reads and writes rows and
--              nothing else: it owns no table, so it cannot ALTER, DROP or TRUNCATE one, nor drop the
--              audit log's append-only trigger; on the audit log it may only SELECT and INSERT.
--
-- Placeholders (quoted identifiers, filled in by the command): :app_role, :database, :owner_role.
-- Idempotent: safe to run after each migration.

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :app_role;
GRANT CONNECT ON DATABASE :database TO :app_role;

-- Rows, not tables: no TRUNCATE, no REFERENCES, no TRIGGER.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :app_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :app_role;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :app_role;

-- Tables a later migration creates get the same grants without this file.
ALTER DEFAULT PRIVILEGES FOR ROLE :owner_role IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :app_role;
ALTER DEFAULT PRIVILEGES FOR ROLE :owner_role IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :app_role;

-- The audit log: read and append only (its trigger refuses UPDATE and DELETE for everyone too).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditentry FROM :app_role;
