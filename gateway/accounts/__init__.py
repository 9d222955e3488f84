"""The household: members (web logins), their devices (phone and dongle credentials) and who
sees whom (visibility). Every function takes a connection and runs in the caller's transaction.

    with store.transaction() as conn:
        accounts.add_member(conn, "alice", password, is_admin=True)
        device, secret = accounts.add_device(conn, "alice", "phone")

Web sessions (``accounts.sessions``) and first-run setup (``accounts.first_run``) live here
too. The broker's files (``accounts.broker``) and what a phone needs to connect
(``accounts.provisioning``) are generated from these tables.
"""
from .changes import ChangeWatch, accounts_version
from .devices import (Device, DeviceAuth, add_device, device_by_id, device_ids,
                      device_secret_hashes, get_device, list_devices, mark_seen, mosquitto_hash,
                      new_secret, remove_device, set_card, verify_secret, without_own_card)
from .members import (AccountError, Member, add_member, check_login, check_name, fill_profile,
                      get_member, has_members, hash_password, list_members, member_by_id,
                      member_settings, password_hash, remove_member, set_member_settings,
                      set_password, verify_password)
from .first_run import (SetupClosed, WrongSetupCode, create_first_member, ensure_setup_code,
                        read_setup_code)
from .sessions import (Lifetime, Session, end_member_sessions, end_session, find_session,
                       start_session, touch_session)
from .visibility import hide_from, show_to, visible_member_ids

__all__ = ["AccountError", "Member", "Device", "DeviceAuth", "check_name", "hash_password",
           "verify_password", "add_member", "get_member", "member_by_id", "list_members",
           "set_password", "check_login", "remove_member", "mosquitto_hash", "verify_secret",
           "new_secret", "add_device", "get_device", "device_by_id", "list_devices",
           "remove_device", "device_secret_hashes", "device_ids", "mark_seen", "set_card",
           "without_own_card", "has_members", "password_hash", "member_settings",
           "set_member_settings", "fill_profile", "show_to", "hide_from", "visible_member_ids",
           "SetupClosed", "WrongSetupCode", "create_first_member", "ensure_setup_code",
           "read_setup_code", "Lifetime", "Session", "start_session", "find_session",
           "touch_session", "end_session", "end_member_sessions",
           "ChangeWatch", "accounts_version"]
