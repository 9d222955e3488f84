"""Positions into the store, acknowledged only once committed: the group commit
(``group_commit``) and one adapter per way positions arrive (``owntracks``, ``mqtt``,
``traccar``, ``gpsd``)."""
