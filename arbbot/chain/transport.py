"""The one node transport: JSON-RPC over HTTP with bounded retries, deadlines, size caps and classified failures.

`HttpTransport` (sync, requests) and `AsyncHttpTransport` (async, aiohttp) share everything that decides what
an answer means (`arbbot.chain.jsonrpc`); `arbbot.chain.ws` is the WebSocket face. Every failed attempt is
classified as one of `KINDS`, reported to an optional observer (metrics count them) and, where retrying can
help, retried with full-jitter exponential back-off until the attempts or the call's deadline run out.

Hostile answers are bounded before they are parsed: a body over the size cap is abandoned while it streams
in, JSON nested deeper than the cap is refused before `json.loads` sees it, a reply to another request id is
refused, and the results of the methods consumers rely on are checked for shape (`arbbot.chain.shapes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from typing import Any

import aiohttp
import requests

from arbbot.chain.jsonrpc import (
    CONNECTION,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    HTTP_STATUS,
    JSON_HEADERS,
    KINDS,
    MALFORMED,
    NO_RETRY,
    RPC_ERROR,
    SENT_ONCE,
    TIMEOUT,
    TOO_LARGE,
    TRUNCATED,
    Failure,
    InvalidEndpoint,
    Observer,
    RetryPolicy,
    RpcError,
    RpcTransportError,
    TransportEvent,
    cap_for,
    check_url,
    decode_json,
    depth_for,
    describe,
    encode_batch,
    encode_request,
    excerpt,
    redact_url,
    status_failure,
    unwrap,
)
from arbbot.errors import ArbbotError

log = logging.getLogger(__name__)

__all__ = [
    "CONNECTION", "HTTP_STATUS", "KINDS", "MALFORMED", "RPC_ERROR", "TIMEOUT", "TOO_LARGE", "TRUNCATED",
    "AsyncHttpTransport", "Failure", "HttpTransport", "InvalidEndpoint", "RetryPolicy", "RpcError",
    "RpcTransportError", "TransportEvent", "post_bounded",
]  # fmt: skip


# ---------------------------------------------------------------------------------------------- the retry rules


class _Calls:
    """What both faces share: ids, the retry loop's bookkeeping, observation, final errors."""

    def __init__(
        self, url: str, *, timeout: float, retry: RetryPolicy | None, max_bytes: int, max_depth: int,
        source: str, observer: Observer | None, check_shapes: bool, hedge_after: float | None = None,
        check_ids: bool = True, headers: Mapping[str, str] | None = None,
        sign: Callable[[bytes], Mapping[str, str]] | None = None,
    ) -> None:  # fmt: skip
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.url = check_url(url)
        self.shown_url = redact_url(url)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.source = source
        self.observer = observer
        self.check_shapes = check_shapes
        self.check_ids = check_ids  # a reply must carry the request's id (builders get leeway: see JsonRpcClient)
        self._headers = {**JSON_HEADERS, **(headers or {})}
        # Signs the exact bytes sent (bundles-spec A1), once per body however many attempts it takes.
        self._sign = sign
        self._signed: tuple[bytes, dict[str, str]] | None = None
        # A read still unanswered after this long is sent a second time; the first answer wins. A slow node
        # answer (the tail) then costs this, not a whole attempt timeout. Reads only: they are idempotent.
        self.hedge_after = hedge_after
        self.hedges = 0
        self._ids = itertools.count(1)
        self._rng = random.Random()
        self._count_lock = threading.Lock()
        self.requests_sent = 0  # HTTP round trips, for benchmarks and tests
        self.failures: dict[str, int] = dict.fromkeys(KINDS, 0)  # failed attempts by kind

    def _deadline(self, retry: RetryPolicy, timeout: float) -> float:
        budget = retry.deadline if retry.deadline is not None else timeout * retry.attempts + retry.max_delay
        return time.monotonic() + budget

    def _observe(self, method: str, failure: Failure, final: bool) -> None:
        with self._count_lock:
            self.failures[failure.kind] = self.failures.get(failure.kind, 0) + 1
        if final:
            log.debug("RPC %s to %s gave up: %s: %s", method, self.shown_url, failure.kind, failure.detail)
        else:
            log.debug("RPC %s to %s: %s: %s; retrying", method, self.shown_url, failure.kind, failure.detail)
        if self.observer is not None:
            try:
                self.observer(TransportEvent(self.source, method, failure.kind, failure.detail, final))
            except Exception:  # metrics must never break a call
                log.exception("transport observer failed")

    def _final(self, what: str, failure: Failure | None, attempts: int) -> ArbbotError:
        if failure is None:
            return RpcTransportError(
                f"RPC {what} to {self.shown_url}: no attempt fitted in the deadline", kind=TIMEOUT, method=what
            )
        if failure.rpc_error is not None:
            return failure.rpc_error
        cls = InvalidEndpoint if failure.kind == CONNECTION and not failure.retryable else RpcTransportError
        tries = f"failed after {attempts} attempts" if attempts > 1 else "failed"
        return cls(
            f"RPC {what} to {self.shown_url} {tries}: {failure.detail} [{failure.kind}]",
            kind=failure.kind, method=what, attempts=attempts, detail=failure.detail, status=failure.status,
            body=failure.body,
        )  # fmt: skip

    def _next_pause(self, retry: RetryPolicy, attempt: int, failure: Failure, deadline: float) -> float | None:
        """Seconds to wait before the next attempt, or None if there is no next attempt."""
        if not failure.retryable or attempt >= retry.attempts:
            return None
        pause = retry.pause(attempt, self._rng)
        if failure.retry_after is not None:
            pause = max(pause, failure.retry_after)
        if time.monotonic() + pause >= deadline - 0.001:
            return None
        return pause

    def _request(self, method: str, params: Sequence[Any] | Mapping[str, Any] | None) -> tuple[int, bytes]:
        request_id = next(self._ids)
        return request_id, encode_request(request_id, method, params)

    def _batch_request(self, items: dict[int, tuple[str, Sequence[Any]]]) -> bytes:
        return encode_batch(items)

    def _headers_for(self, body: bytes) -> Mapping[str, str]:
        """The request headers of `body`: JSON, the configured ones, and the signature of exactly these bytes."""
        if self._sign is None:
            return self._headers
        signed = self._signed
        if signed is None or signed[0] is not body:
            signed = self._signed = (body, {**self._headers, **self._sign(body)})
        return signed[1]

    def _interpret(self, method: str, request_id: int, raw: bytes) -> Any:
        """One call's answer: its result, or Failure / RpcError (see `unwrap`)."""
        body = decode_json(raw, depth_for(method, self.max_depth))
        return unwrap(method, body, request_id if self.check_ids else None, check_shape=self.check_shapes)

    def _interpret_batch(
        self, raw: bytes, pending: dict[int, tuple[str, Sequence[Any]]], out: dict[int, Any]
    ) -> Failure | None:
        """Fill `out` with the answers in `raw`; remove them from `pending`. A Failure if any are missing/bad."""
        depth = max(depth_for(m, self.max_depth) for m, _ in pending.values())
        body = decode_json(raw, depth)
        if not isinstance(body, list):
            raise Failure(MALFORMED, f"batch answer is not a list: {excerpt(raw)}")
        problem: Failure | None = None
        for item in body:
            if not isinstance(item, dict):
                continue
            rid = item.get("id")
            rid = int(rid) if isinstance(rid, str) and rid.isdigit() and len(rid) < 19 else rid
            if not isinstance(rid, int) or rid not in pending:
                continue  # unknown, duplicate or already answered: ignored
            method = pending[rid][0]
            try:
                out[rid] = unwrap(method, item, None, check_shape=self.check_shapes)
            except RpcError as exc:
                out[rid] = exc
            except Failure as f:
                if f.rpc_error is not None:
                    out[rid] = f.rpc_error  # kept if asking again does not help
                problem = problem or f
                continue
            del pending[rid]
        if pending and problem is None:
            problem = Failure(MALFORMED, f"batch answer is missing {len(pending)} of its items")
        return problem


# ---------------------------------------------------------------------------------------------- sync face


class HttpTransport(_Calls):
    """Blocking JSON-RPC over HTTP(S): keep-alive (one session per thread), batching, retries, caps."""

    def __init__(
        self,
        url: str,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        source: str = "node",
        observer: Observer | None = None,
        check_shapes: bool = True,
        hedge_after: float | None = None,
    ) -> None:
        super().__init__(url, timeout=timeout, retry=retry, max_bytes=max_bytes, max_depth=max_depth, source=source,
                         observer=observer, check_shapes=check_shapes, hedge_after=hedge_after)  # fmt: skip
        self._hedger: ThreadPoolExecutor | None = None
        self._local = threading.local()  # sessions are not safely shared between threads
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    @property
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        """Close every session this transport opened (one per thread) and its hedging pool; it can be used again
        after."""
        if self._hedger is not None:
            self._hedger.shutdown(wait=False, cancel_futures=True)
            self._hedger = None
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._local = threading.local()

    def _hedged(self, body: bytes, timeout: float, cap: int | None, method: str | None = None) -> bytes:
        """One attempt, sent again if unanswered after `hedge_after`; the first good answer is taken."""
        hedge = self.hedge_after
        if not hedge or timeout <= hedge * 1.5 or method in SENT_ONCE:
            return self._attempt(body, timeout, cap, method)
        with self._lock:
            if self._hedger is None:
                self._hedger = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rpc-hedge")
            pool = self._hedger
        first = pool.submit(self._attempt, body, timeout, cap, method)
        done, _ = futures_wait([first], timeout=hedge)
        if done:
            return first.result()
        with self._count_lock:
            self.hedges += 1
        pending = {first, pool.submit(self._attempt, body, timeout - hedge, cap, method)}
        last: Failure | None = None
        while pending:
            done, pending = futures_wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                try:
                    return fut.result()  # the other one finishes (or times out) on its own
                except Failure as f:
                    last = f
        assert last is not None
        raise last

    def _attempt(self, body: bytes, timeout: float, cap: int | None = None, method: str | None = None) -> bytes:
        cap = cap or self.max_bytes
        deadline = time.monotonic() + timeout
        with self._count_lock:
            self.requests_sent += 1
        try:
            resp = self._session.post(self.url, data=body, headers=self._headers_for(body), timeout=timeout,
                                      stream=True)  # fmt: skip
        except requests.exceptions.Timeout:
            raise Failure(TIMEOUT, f"no answer within {timeout:g}s") from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
        ) as e:
            raise Failure(CONNECTION, f"invalid URL: {describe(e)}", retryable=False) from None
        except requests.exceptions.ChunkedEncodingError as e:
            raise Failure(TRUNCATED, f"answer cut short: {excerpt(describe(e))}") from None
        except requests.exceptions.RequestException as e:
            raise Failure(CONNECTION, excerpt(_root(e))) from None
        with resp:
            raw = self._read(resp, deadline, timeout, cap)
        if resp.status_code != 200:
            raise status_failure(resp.status_code, raw, resp.headers, method)
        return raw

    def _read(self, resp: requests.Response, deadline: float, timeout: float, cap: int) -> bytes:
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise Failure(TOO_LARGE, f"answer of {declared} bytes is over the {cap}-byte cap")
        chunks: list[bytes] = []
        size = 0
        raw = resp.raw
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        restore = sock.gettimeout() if sock is not None else None
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(TIMEOUT, f"answer not complete within {timeout:g}s ({size} bytes read)")
                if sock is not None:
                    # One recv at a time, each bounded by what is left: a drip-fed body cannot outlast the deadline.
                    sock.settimeout(left)
                chunk = raw.read1(65536, decode_content=True) if hasattr(raw, "read1") else raw.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > cap:
                    raise Failure(TOO_LARGE, f"answer over the {cap}-byte cap")
                chunks.append(chunk)
        except Failure:
            raise
        except Exception as e:  # urllib3 ProtocolError (IncompleteRead), ReadTimeoutError, socket errors
            name = type(e).__name__
            text = describe(e)
            if "timed out" in text.lower() or "timeout" in name.lower():
                raise Failure(TIMEOUT, f"answer not complete within {timeout:g}s ({size} bytes read)") from None
            if "IncompleteRead" in text or "incomplete" in text.lower() or "ProtocolError" in name:
                raise Failure(TRUNCATED, f"answer cut short after {size} bytes") from None
            raise Failure(CONNECTION, f"connection lost while reading: {excerpt(text)}") from None
        finally:
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed
                    sock.settimeout(restore)
        return b"".join(chunks)

    def _run(self, what: str, body: bytes, retry: RetryPolicy | None, timeout: float | None,
             interpret: Callable[[bytes], Any], cap: int | None = None) -> Any:  # fmt: skip
        policy = NO_RETRY if what in SENT_ONCE else retry or self.retry
        per_attempt = timeout or self.timeout
        deadline = self._deadline(policy, per_attempt)
        last: Failure | None = None
        attempt = 0
        while attempt < policy.attempts:
            left = deadline - time.monotonic()
            if left <= 0.001:
                break
            attempt += 1
            try:
                return interpret(self._hedged(body, min(per_attempt, left), cap, what))
            except Failure as f:
                last = f
                pause = self._next_pause(policy, attempt, f, deadline)
                self._observe(what, f, final=pause is None)
                if pause is None:
                    break
                time.sleep(pause)  # back-off between attempts
        raise self._final(what, last, attempt)

    def call(self, method: str, params: Sequence[Any] | Mapping[str, Any] = (), *, timeout: float | None = None,
             retry: RetryPolicy | None = None) -> Any:  # fmt: skip
        """One call: the result, or RpcError (the node said no) / RpcTransportError (after retries)."""
        request_id, body = self._request(method, params)

        def interpret(raw: bytes) -> Any:
            return self._interpret(method, request_id, raw)

        return self._run(method, body, retry, timeout, interpret, cap_for(method, self.max_bytes))

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]], *, timeout: float | None = None,
              retry: RetryPolicy | None = None) -> list[Any]:  # fmt: skip
        """Several calls in one HTTP request; results (or RpcError instances) in input order.

        Items missing from an answer, or answered malformed, are asked again (alone) on the next attempt.
        """
        if not calls:
            return []
        ids = [next(self._ids) for _ in calls]
        pending = {i: (m, p) for i, (m, p) in zip(ids, calls, strict=True)}
        out: dict[int, Any] = {}
        what = f"batch of {len(calls)}"
        policy = retry or self.retry
        per_attempt = timeout or self.timeout
        deadline = self._deadline(policy, per_attempt)
        last: Failure | None = None
        attempt = 0
        while pending and attempt < policy.attempts:
            left = deadline - time.monotonic()
            if left <= 0.001:
                break
            attempt += 1
            try:
                raw = self._hedged(self._batch_request(pending), min(per_attempt, left), None)
                problem = self._interpret_batch(raw, pending, out)
            except Failure as f:
                problem = f
            if problem is None:
                break
            last = problem
            pause = self._next_pause(policy, attempt, problem, deadline)
            self._observe(what, problem, final=pause is None)
            if pause is None:
                break
            time.sleep(pause)  # back-off between attempts
        if pending and not all(isinstance(out.get(i), RpcError) for i in pending):
            raise self._final(what, last, attempt)
        return [out[i] for i in ids]

    def block_number(self) -> int:
        """The node's head block number."""
        return int(self.call("eth_blockNumber"), 16)


def _root(exc: BaseException) -> str:
    """The innermost useful message of a requests/urllib3 exception chain (not its object reprs)."""
    seen: BaseException | None = exc
    text = describe(exc)
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return f"{type(seen).__name__}: {seen.strerror}"
        seen = seen.__cause__ or seen.__context__
    if "Failed to resolve" in text or "Name or service not known" in text:
        return "host does not resolve"
    if "Connection refused" in text:
        return "connection refused"
    if "RemoteDisconnected" in text or "without response" in text:
        return "connection closed without an answer"
    if "Connection reset" in text:
        return "connection reset"
    return text


# ---------------------------------------------------------------------------------------------- async face


async def post_bounded(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: Mapping[str, str], timeout: float, cap: int
) -> tuple[int, Mapping[str, str], bytes]:
    """POST `body` and read the whole answer within `timeout` seconds and `cap` bytes: (HTTP status, headers, body).

    The one async exchange under every HTTP JSON-RPC client (nodes and builders): the answer is abandoned as soon
    as it passes the cap, and every failure is raised as a `Failure` of one of `KINDS` (timeout, connection,
    truncated, too_large, malformed). The status is returned, not judged: a builder's 4xx may carry a JSON-RPC
    error worth reading."""
    size = 0
    try:
        async with asyncio.timeout(timeout), session.post(url, data=body, headers=headers) as resp:
            if resp.content_length is not None and resp.content_length > cap:
                raise Failure(TOO_LARGE, f"answer of {resp.content_length} bytes is over the {cap}-byte cap")
            chunks: list[bytes] = []
            async for chunk in resp.content.iter_chunked(65536):
                size += len(chunk)
                if size > cap:
                    raise Failure(TOO_LARGE, f"answer over the {cap}-byte cap")
                chunks.append(chunk)
            return resp.status, resp.headers, b"".join(chunks)
    except Failure:
        raise
    except TimeoutError:
        if size == 0:
            raise Failure(TIMEOUT, f"no answer within {timeout:g}s") from None
        raise Failure(TIMEOUT, f"answer not complete within {timeout:g}s ({size} bytes read)") from None
    except aiohttp.InvalidURL as e:
        raise Failure(CONNECTION, f"invalid URL: {describe(e)}", retryable=False) from None
    except aiohttp.ClientPayloadError as e:
        raise Failure(TRUNCATED, f"answer cut short after {size} bytes: {excerpt(describe(e))}") from None
    except aiohttp.ClientResponseError as e:  # not HTTP at all, or a broken status line / headers
        raise Failure(MALFORMED, f"broken HTTP answer: {excerpt(describe(e))}") from None
    except aiohttp.ServerDisconnectedError:
        raise Failure(CONNECTION, "connection closed without an answer") from None
    except (aiohttp.ClientError, OSError) as e:
        raise Failure(CONNECTION, excerpt(f"{type(e).__name__}: {describe(e)}")) from None


class AsyncHttpTransport(_Calls):
    """The same over aiohttp, for coroutines. Use `async with`, or call `aclose()`."""

    def __init__(
        self,
        url: str,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        source: str = "node",
        observer: Observer | None = None,
        check_shapes: bool = True,
        session: aiohttp.ClientSession | None = None,
        hedge_after: float | None = None,
        check_ids: bool = True,
        headers: Mapping[str, str] | None = None,
        sign: Callable[[bytes], Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__(url, timeout=timeout, retry=retry, max_bytes=max_bytes, max_depth=max_depth, source=source,
                         observer=observer, check_shapes=check_shapes, hedge_after=hedge_after, check_ids=check_ids,
                         headers=headers, sign=sign)  # fmt: skip
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> AsyncHttpTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session if this transport opened it; a session passed in is left to its owner."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    close = aclose

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if not self._own_session:
                raise RuntimeError(f"{self.shown_url}: the session passed in is closed")
            self._session = aiohttp.ClientSession()
        return self._session

    async def _attempt(self, body: bytes, timeout: float, cap: int | None = None, method: str | None = None) -> bytes:
        with self._count_lock:
            self.requests_sent += 1
        started = time.perf_counter()
        status, headers, raw = await post_bounded(
            self._get_session(), self.url, body, self._headers_for(body), timeout, cap or self.max_bytes
        )
        log.debug("%s %s -> HTTP %s in %.1f ms", self.source, method or "batch", status,
                  (time.perf_counter() - started) * 1000)  # fmt: skip
        if status != 200:
            raise status_failure(status, raw, headers, method)
        return raw

    async def _hedged(self, body: bytes, timeout: float, cap: int | None, method: str | None = None) -> bytes:
        """One attempt, sent again if unanswered after `hedge_after`; the first good answer is taken."""
        hedge = self.hedge_after
        if not hedge or timeout <= hedge * 1.5 or method in SENT_ONCE:
            return await self._attempt(body, timeout, cap, method)
        first = asyncio.ensure_future(self._attempt(body, timeout, cap, method))
        done, _ = await asyncio.wait({first}, timeout=hedge)
        if done:
            return first.result()
        with self._count_lock:
            self.hedges += 1
        pending = {first, asyncio.ensure_future(self._attempt(body, timeout - hedge, cap, method))}
        last: Failure | None = None
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    exc = task.exception()
                    if exc is None:
                        return task.result()
                    if not isinstance(exc, Failure):
                        raise exc
                    last = exc
        finally:
            for task in pending:
                task.cancel()
        assert last is not None
        raise last

    async def _run(self, what: str, body: bytes, retry: RetryPolicy | None, timeout: float | None,
                   interpret: Callable[[bytes], Any], cap: int | None = None) -> Any:  # fmt: skip
        policy = NO_RETRY if what in SENT_ONCE else retry or self.retry
        per_attempt = timeout or self.timeout
        deadline = self._deadline(policy, per_attempt)
        last: Failure | None = None
        attempt = 0
        while attempt < policy.attempts:
            left = deadline - time.monotonic()
            if left <= 0.001:
                break
            attempt += 1
            try:
                return interpret(await self._hedged(body, min(per_attempt, left), cap, what))
            except Failure as f:
                last = f
                pause = self._next_pause(policy, attempt, f, deadline)
                self._observe(what, f, final=pause is None)
                if pause is None:
                    break
                await asyncio.sleep(pause)  # back-off between attempts
        raise self._final(what, last, attempt)

    async def call(self, method: str, params: Sequence[Any] | Mapping[str, Any] | None = None, *,
                   timeout: float | None = None, retry: RetryPolicy | None = None) -> Any:  # fmt: skip
        """One JSON-RPC call's `result`, retried per the policy; RpcError for the node's error answer, RpcTransportError
        when no usable answer came within the attempts and the deadline."""
        request_id, body = self._request(method, params)

        def interpret(raw: bytes) -> Any:
            return self._interpret(method, request_id, raw)

        return await self._run(method, body, retry, timeout, interpret, cap_for(method, self.max_bytes))

    async def batch(self, calls: Sequence[tuple[str, Sequence[Any]]], *, timeout: float | None = None,
                    retry: RetryPolicy | None = None) -> list[Any]:  # fmt: skip
        """Several calls in JSON-RPC batches, results in the order asked; an item the node answered with an error is
        returned as its RpcError, missing or bad items are asked again."""
        if not calls:
            return []
        ids = [next(self._ids) for _ in calls]
        pending = {i: (m, p) for i, (m, p) in zip(ids, calls, strict=True)}
        out: dict[int, Any] = {}
        what = f"batch of {len(calls)}"
        policy = retry or self.retry
        per_attempt = timeout or self.timeout
        deadline = self._deadline(policy, per_attempt)
        last: Failure | None = None
        attempt = 0
        while pending and attempt < policy.attempts:
            left = deadline - time.monotonic()
            if left <= 0.001:
                break
            attempt += 1
            try:
                raw = await self._hedged(self._batch_request(pending), min(per_attempt, left), None)
                problem = self._interpret_batch(raw, pending, out)
            except Failure as f:
                problem = f
            if problem is None:
                break
            last = problem
            pause = self._next_pause(policy, attempt, problem, deadline)
            self._observe(what, problem, final=pause is None)
            if pause is None:
                break
            await asyncio.sleep(pause)  # back-off between attempts
        if pending and not all(isinstance(out.get(i), RpcError) for i in pending):
            raise self._final(what, last, attempt)
        return [out[i] for i in ids]
