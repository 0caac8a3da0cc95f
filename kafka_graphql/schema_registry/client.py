"""A small read-only client of a Confluent-compatible Schema Registry API.

It never registers schemas: the gateway only reads the latest value schema of a topic at
start-up, the writer schemas of `avro-confluent` values by id, and the id of a schema a REST
request gives as text (`lookup`: Confluent's "is this schema registered under this subject").
Schemas by id are immutable, so they are cached (bounded, least recently used first out) and
fetched once, even when many values with the same unknown id arrive together.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp

from kafka_graphql.core.errors import NotFound, SchemaRegistryUnavailable
from kafka_graphql.core.typed.registered import RegisteredSchema
from kafka_graphql.settings import SchemaRegistrySettings

_ACCEPT = "application/vnd.schemaregistry.v1+json, application/json"
# Confluent's error codes for "no such subject / version / schema".
_NOT_FOUND_CODES = {40401, 40402, 40403}


class SchemaRegistryClient:
    """Use as `async with SchemaRegistryClient(settings) as registry:`.

    Pass `session` to share one (the caller then closes it); otherwise the client owns its own.
    """

    def __init__(
        self, settings: SchemaRegistrySettings, session: aiohttp.ClientSession | None = None
    ) -> None:
        if settings.url is None:
            raise ValueError("schema_registry.url is not set")
        self._base = settings.url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=settings.request_timeout_s)
        password = settings.password.get_secret_value() if settings.password else ""
        self._auth = (
            aiohttp.BasicAuth(settings.username, password)
            if settings.username is not None
            else None
        )
        self._cache_size = settings.cache_size
        self._session = session
        self._owns_session = session is None
        self._by_id: OrderedDict[int, RegisteredSchema] = OrderedDict()
        self._in_flight: dict[int, asyncio.Task[RegisteredSchema]] = {}
        self._problem: str | None = None

    async def __aenter__(self) -> SchemaRegistryClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Cancels fetches still running and closes the session if the client made it."""
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    async def latest(self, subject: str) -> RegisteredSchema:
        """The latest version of `subject` (e.g. `shop.payments-value`)."""
        body = await self._get(f"/subjects/{quote(subject, safe='')}/versions/latest", subject)
        return _schema(body, subject)

    async def by_id(self, schema_id: int) -> RegisteredSchema:
        """The schema with this id: from the cache, else fetched once however many ask at once."""
        cached = self._by_id.get(schema_id)
        if cached is not None:
            self._by_id.move_to_end(schema_id)
            return cached
        task = self._in_flight.get(schema_id)
        if task is None:
            task = asyncio.create_task(self._fetch_by_id(schema_id))
            self._in_flight[schema_id] = task
            task.add_done_callback(lambda done: self._fetched(schema_id, done))
        # Shielded: one waiter giving up (a closed subscription) must not cancel the others' fetch.
        return await asyncio.shield(task)

    async def lookup(self, subject: str, schema: str, schema_type: str) -> RegisteredSchema:
        """The registered schema of `subject` that is `schema` (its text; `schema_type` AVRO or
        JSON); NotFound when the subject has no such schema."""
        query: dict[str, str] = {"schema": schema}
        if schema_type != "AVRO":
            query["schemaType"] = schema_type
        path = f"/subjects/{quote(subject, safe='')}"
        body = await self._request("POST", path, f"this schema of {subject}", query)
        return _schema(body, subject)

    async def _fetch_by_id(self, schema_id: int) -> RegisteredSchema:
        body = await self._get(f"/schemas/ids/{schema_id}", f"schema id {schema_id}")
        return _schema({**body, "id": schema_id}, None)

    def _fetched(self, schema_id: int, task: asyncio.Task[RegisteredSchema]) -> None:
        self._in_flight.pop(schema_id, None)
        if task.cancelled() or task.exception() is not None:
            return  # failures are not cached: the next value asks again
        self._by_id[schema_id] = task.result()
        while len(self._by_id) > self._cache_size:
            self._by_id.popitem(last=False)

    def health(self) -> str | None:
        """None unless the last call to the registry failed to get an answer; then why (for
        /readyz)."""
        return self._problem

    async def _get(self, path: str, what: str) -> dict[str, Any]:
        return await self._request("GET", path, what)

    async def _request(
        self, method: str, path: str, what: str, body: dict[str, str] | None = None
    ) -> dict[str, Any]:
        try:
            answer = await self._answer(method, path, what, body)
        except SchemaRegistryUnavailable as error:
            self._problem = error.message
            raise
        except NotFound:
            self._problem = None  # an answer
            raise
        self._problem = None
        return answer

    async def _answer(
        self, method: str, path: str, what: str, body: dict[str, str] | None
    ) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.request(
                method,
                self._base + path,
                json=body,
                headers={"Accept": _ACCEPT},
                auth=self._auth,
                timeout=self._timeout,
            ) as response:
                text = await response.text()
                status = response.status
        except TimeoutError:
            raise SchemaRegistryUnavailable("the schema registry did not answer in time") from None
        except aiohttp.ClientError as error:
            raise SchemaRegistryUnavailable(
                f"cannot reach the schema registry ({type(error).__name__})"
            ) from None
        if status == 404 and _error_code(text) in _NOT_FOUND_CODES:
            raise NotFound(f"{what} is not in the schema registry")
        if status in (401, 403):
            raise SchemaRegistryUnavailable(
                f"the schema registry refused the gateway's credentials (HTTP {status})"
            )
        if status != 200:
            raise SchemaRegistryUnavailable(f"the schema registry answered HTTP {status}")
        return _json_object(text)


def _error_code(text: str) -> object:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body.get("error_code") if isinstance(body, dict) else None


def _json_object(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SchemaRegistryUnavailable("the schema registry answered something that is not JSON")
    return body


def _schema(body: dict[str, Any], subject: str | None) -> RegisteredSchema:
    try:
        return RegisteredSchema(
            id=int(body["id"]),
            schema_type=str(body.get("schemaType") or "AVRO"),
            text=str(body["schema"]),
            subject=subject,
            version=int(body["version"]) if "version" in body else None,
        )
    except (KeyError, TypeError, ValueError):
        raise SchemaRegistryUnavailable(
            "the schema registry answered without a schema and its id"
        ) from None
