"""`selfdata member show|hide`: who in the household sees whose positions."""
from __future__ import annotations

from gateway import accounts
from gateway.cli import main
from gateway.store import Store

PASSWORD = "a long enough password"


def _household(tmp_path):
    store = Store(tmp_path / "selfdata.db").open()
    with store.transaction() as conn:
        alice = accounts.add_member(conn, "alice", PASSWORD)
        bob = accounts.add_member(conn, "bob", PASSWORD)
    store.close()
    return alice, bob


def _sees(tmp_path, viewer) -> list[int]:
    store = Store(tmp_path / "selfdata.db").open()
    try:
        return accounts.visible_member_ids(store.conn, viewer.id)
    finally:
        store.close()


def test_show_and_hide_a_member(tmp_path, capsys):
    alice, bob = _household(tmp_path)
    data = ["--data-dir", str(tmp_path)]
    assert main(["member", "show", "bob", "--to", "alice", *data]) == 0
    assert "alice now sees bob's positions" in capsys.readouterr().out
    assert _sees(tmp_path, alice) == [alice.id, bob.id]
    assert _sees(tmp_path, bob) == [bob.id]                  # it goes one way
    assert main(["member", "hide", "bob", "--from", "alice", *data]) == 0
    assert "alice no longer sees bob's positions" in capsys.readouterr().out
    assert _sees(tmp_path, alice) == [alice.id]


def test_the_old_spelling_still_works_for_one_release_with_a_notice(tmp_path, capsys):
    alice, bob = _household(tmp_path)
    data = ["--data-dir", str(tmp_path)]
    assert main(["member", "share", "bob", "--with", "alice", *data]) == 0
    captured = capsys.readouterr()
    assert "`member share` is now `member show bob --to alice`" in captured.err
    assert _sees(tmp_path, alice) == [alice.id, bob.id]
    assert main(["member", "unshare", "bob", "--with", "alice", *data]) == 0
    assert "`member hide bob --from alice`" in capsys.readouterr().err
    assert _sees(tmp_path, alice) == [alice.id]


def test_a_member_cannot_be_shown_to_themselves(tmp_path, capsys):
    _household(tmp_path)
    assert main(["member", "show", "bob", "--to", "bob", "--data-dir", str(tmp_path)]) == 1
    assert "always sees their own data" in capsys.readouterr().err
