"""RFC 3161 timestamps for the signatures: pyHanko's HTTP client over kept-alive sessions, one kept
per authority, and what tells a failure of the authority from any other error. No ORM here.
"""

import asyncio
import threading

from asn1crypto import tsp
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from requests import Session
from requests.auth import HTTPBasicAuth

_TIMESTAMPERS = {}
_TIMESTAMPERS_MAX = 32


class TimestampUnavailable(RuntimeError):
    """The timestamp authority could not be reached or gave no usable answer."""


class SessionTimeStamper(RequestsHTTPTimeStamper):
    """pyHanko's ``requests`` timestamp client over one kept-alive session per thread.

    pyHanko's own clients open a new connection (and, for HTTPS, a new TLS context) for every
    timestamp; in a parapheur batch of hundreds that is most of the cost of asking for one.
    """

    def __init__(self, url, timeout=10, auth=None):
        super().__init__(url, timeout=timeout, auth=auth)
        self._local = threading.local()

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = Session()
        return session

    async def async_request_tsa_response(self, req):
        # One signature at a time runs in this event loop: no need to hop to a thread.
        try:
            response = self._session().post(
                self.url, data=req.dump(), headers=self.request_headers(), auth=self.auth, timeout=self.timeout
            )
        except OSError as exc:
            raise TimestampRequestError("Error in communication with timestamp server") from exc
        if response.headers.get("Content-Type") != "application/timestamp-reply":
            raise TimestampRequestError("Timestamp server response is malformed.", response)
        return tsp.TimeStampResp.load(response.content)


def make_timestamper(url, username=None, password=None, timeout=10, fresh=False):
    """A timestamp client for the authority at ``url``, kept per authority: it keeps its connection
    and the size probe it sends first.

    ``fresh`` gives a new one, whose certificates are those the authority uses now (needed when
    its chain is validated, as for the seal: the authority may have renewed its certificate).
    """
    auth = HTTPBasicAuth(username, password or "") if username else None
    if fresh:
        return SessionTimeStamper(url, timeout=timeout, auth=auth)
    key = (url, username, password, timeout)
    timestamper = _TIMESTAMPERS.get(key)
    if timestamper is None:
        if len(_TIMESTAMPERS) >= _TIMESTAMPERS_MAX:
            _TIMESTAMPERS.clear()
        timestamper = _TIMESTAMPERS[key] = SessionTimeStamper(url, timeout=timeout, auth=auth)
    return timestamper


def is_timestamp_failure(error):
    """Whether ``error`` (or what caused it) is the authority's failure: unreachable, timed out or
    answering something that is no timestamp."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, TimestampRequestError | OSError | asyncio.TimeoutError):
            return True
        error = error.__cause__ or error.__context__
    return False


def token_size(timestamper):
    """The size in bytes of a timestamp token of this authority (pyHanko asks it once, then keeps it)."""
    return len(asyncio.run(timestamper.async_dummy_response("sha256")).dump())


def timestamp_trust(timestamper):
    """The certificates the timestamp authority sends, fetched once; raises TimestampUnavailable.

    Trusting them only serves to collect the validation data to embed, never to judge a signature.
    """
    try:
        asyncio.run(timestamper.async_dummy_response("sha256"))
    except Exception as exc:
        if is_timestamp_failure(exc):
            raise TimestampUnavailable(str(exc)) from exc
        raise
    return list(timestamper.cert_registry)
