"""HTTP discipline shared by every adapter.

One :class:`ProviderHttp` per operation (one ``test_connection`` or ``discover_models``
call) owns one ``requests.Session``. It applies:

* explicit ``(connect, read)`` timeouts, and one total deadline for the operation
  (``HttpSettings.deadline``: retries and pages included), checked between the chunks
  of every body, so a server that trickles is cut at the deadline;
* a size cap on every body (``max_listing_bytes`` for listing calls, made with
  ``listing=True``; ``max_response_bytes`` for the rest), counted while it streams;
* retries on 429 and 5xx only, bounded by ``max_retries``, with exponential backoff or the
  server's ``Retry-After`` / ``retry-after-ms``; when the server asks for a longer wait
  than ``max_retry_after`` we stop and report instead of blocking the request;
* no redirect to another host or from https to http (same-host redirects are followed a
  few times by hand);
* the base-URL policy on every resolved address and on the socket's peer address (the
  transport in :mod:`task_master_llm.net.transport`);
* errors translated at the boundary into :class:`ProviderError` with messages written
  here: never the text of a requests/urllib3 exception (those carry URLs and headers).

Keys travel only in headers, so urllib3's debug log (which prints URLs) never sees one.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from task_master_llm.errors import ProviderError
from task_master_llm.net.failures import classify
from task_master_llm.net.limits import (
    AnswerStalled,
    Deadline,
    DeadlineExceeded,
    ResponseTooLarge,
    format_bytes,
    read_body,
)
from task_master_llm.net.settings import HttpSettings
from task_master_llm.net.transport import deadline_scope, default_session_factory
from task_master_llm.version import __version__

log = logging.getLogger(__name__)

USER_AGENT = f"task-master-llm/{__version__}"

#: Classifies a final non-2xx response into the error to raise.
Classifier = Callable[[requests.Response], ProviderError]
#: Seconds a response asks us to wait before retrying, or None when it does not say.
RetryHint = Callable[[requests.Response], "float | None"]


# --- one operation ---------------------------------------------------------------------


class ProviderHttp:
    """The HTTP client of one adapter operation. Use as a context manager."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        settings: HttpSettings,
        headers: Mapping[str, str],
        classify: Classifier,
        retry_hint: RetryHint | None = None,
        refused_hint: str = "check the base URL and that the server is running.",
        listing: bool = False,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self.classify = classify
        self.retry_hint: RetryHint = retry_hint or (lambda r: retry_after_seconds(r.headers))
        self.refused_hint = refused_hint
        self.last_latency_ms: int | None = None
        #: the cap of a body unless a call names another
        self.max_bytes = settings.max_listing_bytes if listing else settings.max_response_bytes
        self.deadline = Deadline(settings.deadline)
        self._headers = dict(headers)
        self._session: requests.Session | None = None

    @property
    def host(self) -> str:
        """The host (and port, when given) of the base URL, for messages."""
        return urlsplit(self.base_url).netloc or self.base_url

    def __enter__(self) -> ProviderHttp:
        factory = self.settings.session_factory or default_session_factory
        self._session = factory(self.settings)
        self.deadline = Deadline(self.settings.deadline)  # the operation starts now
        self._session.headers.update(
            {"User-Agent": USER_AGENT, "Accept": "application/json", **self._headers}
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def url(self, path: str) -> str:
        """``{base}{path}`` with exactly one slash between them."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, *,
                 max_bytes: int | None = None) -> Any:
        """GET ``path`` and return the decoded JSON body (at most ``max_bytes`` long;
        default: the client's cap)."""
        return self.decode(self.request("GET", path, params=params, max_bytes=max_bytes))

    def post_json(self, path: str, body: Any, *, max_bytes: int | None = None) -> Any:
        """POST a JSON body to ``path`` and return the decoded JSON body."""
        return self.decode(self.request("POST", path, json=body, max_bytes=max_bytes))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        max_bytes: int | None = None,
    ) -> requests.Response:
        """Send with retries on 429/5xx; return a 2xx response, its body read (within the
        deadline and the cap), or raise ProviderError."""
        attempts = max(0, self.settings.max_retries) + 1
        limit = max_bytes or self.max_bytes
        for attempt in range(attempts):
            response = self._send_following_redirects(method, self.url(path), params, json)
            if response.status_code < 300:
                self._read(response, limit)
                return response
            self._read_error_body(response)
            if response.status_code == 429 or response.status_code >= 500:
                error = self.classify(response)
                delay = self._retry_delay(response, attempt, error)
                if delay is not None and delay >= self.deadline.remaining():
                    delay = None  # the wait would outlast the deadline: report now
                if attempt + 1 >= attempts or delay is None:
                    raise error
                log.info(
                    "%s answered %s on %s %s; retry %d/%d in %.2fs",
                    self.provider, response.status_code, method, urlsplit(response.url).path,
                    attempt + 1, attempts - 1, delay,
                )
                response.close()
                self.settings.sleep(delay)
                continue
            raise self.classify(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def decode(self, response: requests.Response) -> Any:
        """The JSON body, or a ``bad_response`` error saying what came instead."""
        ctype = response.headers.get("Content-Type", "")
        if "html" in ctype.lower():
            raise ProviderError(
                f"{self.provider} at {self.host} answered with an HTML page instead of JSON - "
                "check the base URL (most APIs end in /v1).",
                error_kind="bad_response",
            )
        try:
            return response.json()
        except (ValueError, RecursionError):  # RecursionError: nested thousands deep
            raise ProviderError(
                f"{self.provider} at {self.host} answered with something that is not valid "
                "JSON - check the base URL points at the API.",
                error_kind="bad_response",
            ) from None

    def too_slow(self) -> ProviderError:
        """The error of an operation whose deadline passed."""
        return ProviderError(
            f"{self.provider} answered too slowly (no complete answer within "
            f"{self.deadline.seconds:g} s from {self.host}) - try again later; "
            "TASK_MASTER_LLM_HTTP_DEADLINE sets the limit.",
            error_kind="timeout",
        )

    def too_large(self, limit: int) -> ProviderError:
        """The error of a body longer than ``limit`` bytes."""
        setting = ("TASK_MASTER_LLM_MAX_LISTING_BYTES" if limit == self.settings.max_listing_bytes
                   else "TASK_MASTER_LLM_MAX_RESPONSE_BYTES")
        return ProviderError(
            f"{self.provider} sent more than {format_bytes(limit)} (from {self.host}); the "
            f"answer was cut there - check the base URL points at the API, or raise {setting}.",
            error_kind="bad_response",
        )

    # --- internals ---------------------------------------------------------------------

    def _read(self, response: requests.Response, limit: int) -> bytes:
        """The body, streamed within the deadline and the cap (see net.limits)."""
        try:
            return read_body(response, max_bytes=limit, deadline=self.deadline,
                             read_timeout=self.settings.read_timeout)
        except DeadlineExceeded:
            raise self.too_slow() from None
        except ResponseTooLarge as exc:
            raise self.too_large(exc.limit) from None
        except AnswerStalled as exc:
            raise ProviderError(
                f"{self.provider} answered too slowly (its answer from {self.host} stalled "
                f"for more than {exc.seconds:g} s) - try again later.",
                error_kind="timeout",
            ) from None
        except requests.RequestException as exc:
            raise self._transport_error(exc, response.url or self.base_url) from None

    def _read_error_body(self, response: requests.Response) -> None:
        """An error body, for its code and retry hint: one too long to keep is left empty
        (the status still classifies it)."""
        try:
            self._read(response, self.settings.max_response_bytes)
        except ProviderError as err:
            if err.error_kind == "timeout":
                raise
            response._content = b""

    def _send_following_redirects(
        self, method: str, url: str, params: Mapping[str, Any] | None, json: Any
    ) -> requests.Response:
        assert self._session is not None, "use ProviderHttp as a context manager"
        for _hop in range(max(0, self.settings.max_redirects) + 1):
            start = time.perf_counter()
            try:
                timeout = self.deadline.timeouts(self.settings.connect_timeout,
                                                 self.settings.read_timeout)
                with deadline_scope(self.deadline):
                    response = self._session.request(
                        method, url, params=params, json=json, timeout=timeout,
                        allow_redirects=False, stream=True,
                    )
            except DeadlineExceeded:
                raise self.too_slow() from None
            except requests.RequestException as exc:
                if self.deadline.expired:
                    raise self.too_slow() from None
                raise self._transport_error(exc, url) from None
            except UnicodeError:  # http.client sends headers as Latin-1
                raise ProviderError(
                    f"The API key (or another credential) of {self.provider} contains "
                    "characters that cannot be sent in an HTTP header, such as an invisible "
                    "character pasted with it - enter the key again.",
                    error_kind="auth",
                ) from None
            self.last_latency_ms = round((time.perf_counter() - start) * 1000)
            log.debug("%s %s %s -> %s", self.provider, method, urlsplit(url).path,
                      response.status_code)
            if not response.is_redirect:
                return response
            url = self._redirect_target(url, response)
            params = None  # the Location carries its own query
            response.close()
        raise ProviderError(
            f"{self.provider} at {self.host} redirected too many times - check the base URL.",
            error_kind="not_found",
        )

    def _redirect_target(self, url: str, response: requests.Response) -> str:
        target = urljoin(response.url or url, response.headers.get("Location", ""))
        old, new = urlsplit(url), urlsplit(target)
        downgrade = old.scheme == "https" and new.scheme != "https"
        if new.hostname != old.hostname or downgrade or (
            new.port != old.port and new.scheme == old.scheme
        ):
            raise ProviderError(
                f"{self.provider} at {self.host} redirected to {new.scheme}://{new.netloc}; "
                "redirects to another host are not followed (the key would go with them) - "
                "set the base URL to the address the provider really serves.",
                error_kind="not_found",
            )
        return target

    def _retry_delay(
        self, response: requests.Response, attempt: int, error: ProviderError
    ) -> float | None:
        """Seconds to wait before the next attempt, or None not to retry: the server wants
        longer than ``max_retry_after`` (waiting inside a web request is pointless), or a
        quota is exhausted and the provider gave no time at which it comes back."""
        requested = sane_delay(self.retry_hint(response))
        if requested is None:
            if error.error_kind == "quota":
                return None
            return min(self.settings.backoff_base * (2**attempt), self.settings.max_retry_after)
        if requested > self.settings.max_retry_after:
            return None
        return requested

    def _transport_error(self, exc: requests.RequestException, url: str) -> ProviderError:
        """A message of our own for a failure with no HTTP status (see net.failures)."""
        host = urlsplit(url).netloc or self.host
        name = self.provider
        kind = classify(exc)
        if kind == "connect_timeout":
            return ProviderError(
                f"Connecting to {name} at {host} timed out after "
                f"{self.settings.connect_timeout:g}s - check the base URL and that the host "
                "is reachable from this server (firewall, VPN).",
                error_kind="timeout",
            )
        if kind == "read_timeout":
            return ProviderError(
                f"{name} at {host} accepted the connection but did not answer within "
                f"{self.settings.read_timeout:g}s - try again later.",
                error_kind="timeout",
            )
        messages = {
            "tls": f"The TLS handshake with {host} failed (certificate or protocol mismatch) "
                   "- check the base URL's scheme (http/https) and the server's certificate.",
            "dns": f"The host name {urlsplit(url).hostname} could not be resolved (DNS) - "
                   "check the base URL.",
            "refused": f"Nothing answers at {urlsplit(url).scheme}://{host} (connection "
                       f"refused) - {self.refused_hint}",
            "url": f"The base URL of {name} is not a valid URL.",
        }
        if kind in messages:
            return ProviderError(messages[kind], error_kind="network")
        if kind == "reset" or isinstance(exc, requests.ConnectionError):
            return ProviderError(
                f"The connection to {name} at {host} failed or was closed before an answer - "
                "check the base URL and the network.",
                error_kind="network",
            )
        return ProviderError(
            f"The request to {name} at {host} failed ({type(exc).__name__}).",
            error_kind="network",
        )


def sane_delay(seconds: float | None) -> float | None:
    """A wait a server asked for, made usable: None when absent or not a number (NaN),
    never negative (``time.sleep`` refuses both); infinity stays (it exceeds any cap)."""
    if seconds is None or math.isnan(seconds):
        return None
    return max(0.0, seconds)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms`` (OpenAI), then
    ``Retry-After`` as seconds or an HTTP date. None when absent or unreadable."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())
