"""The production stack without Docker: database roles, backup and restore, the compose file, and
more than one machine, each against the real local services."""
