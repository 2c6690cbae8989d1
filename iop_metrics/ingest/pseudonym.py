"""Keyed pseudonyms: HMAC-SHA256(key, source value), first 16 hex digits, computed in DuckDB.

The same key gives the same pseudonym for the same source value in every file and
every month, so client ids from two reports of one EHR agree. The key is read
from a file made by ``keygen`` (32 random bytes, mode 0600); it is never
printed, logged or put in an error, and neither is any source identifier value.
The hashing runs as a SQL expression over whole columns, not a Python row loop.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..errors import InputError

KEY_BYTES = 32
PSEUDONYM_DIGITS = 16
_BLOCK = 64  # SHA-256 block size in bytes


def keygen(path: str | os.PathLike[str]) -> Path:
    """Create a new key file (32 random bytes, mode 0600); refuse to overwrite one. Missing
    folders on the way are created mode 0700.

    >>> import tempfile, pathlib
    >>> p = keygen(pathlib.Path(tempfile.mkdtemp()) / "key")
    >>> len(p.read_bytes()), oct(p.stat().st_mode & 0o777)
    (32, '0o600')
    """
    target = Path(path)
    try:
        _private_folder(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{target}: a key already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise InputError(f"{target}: cannot create the key file ({exc.strerror})") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_bytes(KEY_BYTES))
    os.chmod(target, 0o600)
    return target


def _private_folder(folder: Path) -> None:
    """Create ``folder`` and its missing parents, mode 0700 (existing folders stay as they are)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        f.mkdir(mode=0o700)
        os.chmod(f, 0o700)  # the umask may have narrowed it further; never wider


def read_key(path: str | os.PathLike[str]) -> bytes:
    """The key bytes from a key file; a missing, unreadable or empty key is an InputError.

    The message names the file only, never its content.
    """
    target = Path(path)
    try:
        key = target.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"{target}: pseudonymization key file not found "
            f"(make one with `iop-metrics keygen {target}`)"
        ) from None
    except OSError as exc:
        raise InputError(
            f"{target}: cannot read the pseudonymization key ({exc.strerror})"
        ) from None
    if len(key) < 16:
        raise InputError(
            f"{target}: the pseudonymization key is too short (need at least 16 bytes)"
        )
    return key


def hmac_params(key: bytes) -> dict[str, bytes]:
    """The two padded key blocks that ``hmac_sql`` reads as ``$hmac_ipad`` / ``$hmac_opad``."""
    import hashlib

    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_BLOCK, b"\0")
    return {
        "hmac_ipad": bytes(b ^ 0x36 for b in padded),
        "hmac_opad": bytes(b ^ 0x5C for b in padded),
    }


def hmac_sql(expr: str) -> str:
    """A DuckDB expression giving the pseudonym of the text expression ``expr`` (NULL stays NULL).

    Bind ``hmac_params(key)`` as parameters. ``expr`` must be a validated
    identifier or a trusted expression, never user data.

    >>> import duckdb, hmac, hashlib
    >>> key = bytes(range(32))
    >>> con = duckdb.connect()
    >>> sql = f"select {hmac_sql('v')} from (select '0100234' as v)"
    >>> got = con.execute(sql, hmac_params(key)).fetchone()[0]
    >>> got == hmac.new(key, b"0100234", hashlib.sha256).hexdigest()[:16]
    True
    """
    inner = f"unhex(sha256($hmac_ipad || encode(CAST({expr} AS VARCHAR))))"
    digest = f"left(sha256($hmac_opad || {inner}), {PSEUDONYM_DIGITS})"
    return f"CASE WHEN {expr} IS NULL THEN NULL ELSE {digest} END"


def pseudonym(key: bytes, value: str) -> str:
    """The pseudonym of one value in Python (for tests and small look-ups).

    >>> pseudonym(bytes(range(32)), "0100234")
    '52f7d038805b053a'
    """
    import hashlib
    import hmac

    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_DIGITS]
