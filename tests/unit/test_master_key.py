"""The master key: from LEDGER_MASTER_KEY or a key file made once, and clear errors."""

from __future__ import annotations

import base64
import dataclasses
import stat
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.master_key import KEY_FILE, MasterKey, MasterKeyError, MasterKeys, master_keys
from adapters.settings import load_settings

pytestmark = pytest.mark.unit


def encoded() -> str:
    return base64.b64encode(AESGCM.generate_key(256)).decode()


class TestMasterKeySource:
    def test_without_a_configured_key_one_file_is_made_once_readable_by_the_owner_only(
        self, tmp_path: Path
    ) -> None:
        settings = dataclasses.replace(load_settings(), data_dir=tmp_path, master_key=None)

        first, again = master_keys(settings), master_keys(settings)

        assert first.current.id == again.current.id
        assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
        assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]

    def test_a_configured_key_wins_over_the_file_and_previous_ones_are_accepted(
        self, tmp_path: Path
    ) -> None:
        current, previous = encoded(), encoded()
        settings = dataclasses.replace(load_settings(), data_dir=tmp_path, master_key=current,
                                       master_keys_previous=(previous,))

        masters = master_keys(settings)

        assert masters.ids == (MasterKey.decode(current, "a").id,
                               MasterKey.decode(previous, "b").id)
        assert not (tmp_path / KEY_FILE).exists()

    @pytest.mark.parametrize(("text", "why"), [
        ("not base64!", "LEDGER_MASTER_KEY is not base64"),
        (base64.b64encode(b"short").decode(), "must be 32 bytes in base64, not 5 bytes"),
    ])
    def test_a_malformed_key_is_refused_saying_which_and_why(self, text: str, why: str) -> None:
        settings = dataclasses.replace(load_settings(), master_key=text)

        with pytest.raises(MasterKeyError, match=why):
            master_keys(settings)


class TestWrapping:
    def test_a_key_wrapped_by_a_previous_master_unwraps_and_new_ones_use_the_current(
        self,
    ) -> None:
        old, new = MasterKey.decode(encoded(), "old"), MasterKey.decode(encoded(), "new")
        account, data_key = uuid4(), AESGCM.generate_key(256)
        old_id, wrapped = MasterKeys(old).wrap(account, data_key)

        window = MasterKeys(new, (old,))

        assert window.unwrap(account, old_id, wrapped) == data_key
        assert window.wrap(account, data_key)[0] == new.id != old_id
        with pytest.raises(MasterKeyError, match=f"master key {old_id}, which is not configured"):
            MasterKeys(new).unwrap(account, old_id, wrapped)
