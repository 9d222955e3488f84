"""Imports run by the service in a child process (issue #7): what happened to a job in
plain words, who runs it, and how much memory it took.

* ``note``: why a job stopped or was interrupted and what to do ("stopped: the file needed
  more memory than the box allows..."), shown by the upload page and `/api/1/imports`;
* ``runner``: ``service`` for an upload imported by the service's child process, ``cli`` for
  `selfdata import` (its own process); ``pid`` the process importing, so that a service
  starting again marks its own crashed jobs interrupted and leaves a running command alone;
* ``peak_kb``: the import child's peak resident memory, sampled by the service.

Statuses are now running | done | failed | stopped (a limit ended it) | interrupted (the
service or the command died: running the import again is safe).
"""

SCHEMA = """
ALTER TABLE import_jobs ADD COLUMN note TEXT;
ALTER TABLE import_jobs ADD COLUMN runner TEXT NOT NULL DEFAULT 'cli';
ALTER TABLE import_jobs ADD COLUMN pid INTEGER;
ALTER TABLE import_jobs ADD COLUMN peak_kb INTEGER;
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
