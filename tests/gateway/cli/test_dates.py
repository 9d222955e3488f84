"""The one parser of times people type on the command line (gateway.cli.common)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from gateway import accounts
from gateway.cli import main
from gateway.cli.common import day_bounds, parse_when
from gateway.cli.context import UsageError
from gateway.store import Store

PARIS = ZoneInfo("Europe/Paris")


def test_days_times_and_epochs():
    assert parse_when("1714550400", PARIS) == 1714550400
    assert parse_when("2024-05-01", PARIS) == 1714514400                     # local midnight
    assert parse_when("2024-05-01", PARIS, end_of_day=True) == 1714514400 + 86400
    assert parse_when("2024-05-01 08:30", PARIS) == 1714514400 + 8.5 * 3600
    assert parse_when("2024-05-01T08:30:00Z", PARIS) == 1714552200           # an offset wins
    assert day_bounds("2024-03-31", "2024-03-31", PARIS) == (1711839600, 1711839600 + 23 * 3600)


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "01/05/2024"])
def test_a_bad_date_is_a_usage_error_not_an_account_error(text):
    with pytest.raises(UsageError, match="is not a date"):
        parse_when(text, PARIS)


def test_every_command_refuses_a_bad_date_the_same_way(tmp_path, capsys):
    store = Store(tmp_path / "selfdata.db").open()
    with store.transaction() as conn:
        accounts.add_member(conn, "alice", None)
    store.close()
    for argv in (["trips", "--member", "alice", "--from", "soon"],
                 ["export", "--member", "alice", "--format", "csv", "--from", "soon"],
                 ["delete", "--member", "alice", "--from", "soon", "--to", "2024-05-01",
                  "--yes"]):
        code = main([*argv, "--data-dir", str(tmp_path)])
        err = capsys.readouterr().err
        assert code == 1 and "selfdata: 'soon' is not a date" in err, (argv, err)
