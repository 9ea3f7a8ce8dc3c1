"""A token store in the OS keyring (Windows Credential Manager, macOS Keychain, the Secret
Service on Linux) through the ``keyring`` package: ``pip install keyring``.

    python examples/python/extras/keyring_store.py

Not run by the test command (it needs a keyring backend); ``sqlite_store.py`` beside
``token_manager.py`` shows the same contract and is. The keyring keeps one password per
(service, user name): the token set's JSON is that password.
"""

from __future__ import annotations

from typing import Optional

import keyring
import keyring.errors

import authgate


class KeyringStore(authgate.TokenStore):
    """The token set as the keyring password of (``service``, ``account``)."""

    def __init__(self, service: str = "authgate", account: str = "default") -> None:
        self.service = service
        self.account = account

    def load(self) -> Optional[str]:
        return keyring.get_password(self.service, self.account)

    def save(self, json: str) -> None:
        # Raises (keyring.errors.PasswordSetError, ...) when the keyring refuses: the manager
        # then keeps the new tokens in memory and saves them again on the next call.
        keyring.set_password(self.service, self.account, json)

    def clear(self) -> None:
        try:
            keyring.delete_password(self.service, self.account)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing stored


if __name__ == "__main__":
    store = KeyringStore()
    print("keyring backend:", keyring.get_keyring())
    print("stored:", "yes" if store.load() is not None else "no")
