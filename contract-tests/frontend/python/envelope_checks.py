"""Schemathesis checks for the account API's HTTP-200 envelope convention.

The server answers every business result, bad input included, with HTTP 200
and puts the verdict in the envelope: `{"code": 400, ...}` (`"400"` in
sendsms) for a parameter that is missing or malformed. Schemathesis's own
`negative_data_rejection` judges by HTTP status, so schemathesis.toml accepts
HTTP 200 there; these two checks restore its meaning one level down:

- `negative_data_rejected_in_envelope`: schema-violating input answered with
  HTTP 200 must carry code 400. It reuses the built-in check's judgement of
  which mutations really are invalid on the wire (for example a number that
  serializes to the same query string as a valid one) by running it with the
  default expected statuses, in which 200 is not. One more leniency is the
  server's by design and exempt: it reads every field of a JSON body as
  text, numbers in decimal (some apps send `"phone": 13126939916`) and
  `null` as absent (src/domain/openapi_field.rs), so `{"expect": "1"}` or
  `{"code": null}` is read as the valid request it spells.
- `positive_data_accepted_in_envelope`: schema-conforming input must not be
  answered with code 400. One rule the schema cannot state is exempt:
  `revokeSessions` takes `id` or `others=true`, exactly one of them (its
  description says so; src/tests/api/sessions/devices.rs pins both 400s), so
  a body with both or neither is answered 400 naming `id`.

Loaded through `hooks` in schemathesis.toml; schemathesis 4.32 (pinned).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import schemathesis
from schemathesis.config._checks import NegativeDataRejectionConfig
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import negative_data_rejection

BAD_PARAMETER = (400, "400")

DOCUMENT = json.loads(
    (Path(__file__).resolve().parents[3] / "openapi" / "openapi.json").read_text(encoding="utf-8")
)
INTEGER = re.compile(r"-?[0-9]+")


def _json_body_schema(case: Any) -> dict[str, Any] | None:
    """The committed document's schema of the operation's JSON body, resolved."""
    operation = DOCUMENT["paths"].get(case.operation.path, {}).get(case.method.lower(), {})
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is None:
        return None
    schema = media["schema"]
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def _as_text(value: Any) -> Any:
    """A JSON scalar as the server reads it: strings as they are, numbers in decimal."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return value  # refused by the server, and invalid here too
    return value if isinstance(value, str) else str(value)


def _read_as_the_server_does(case: Any) -> bool:
    """Whether the JSON body, read field by field as text (null = absent), is valid."""
    if not (case.media_type or "").startswith("application/json") or not isinstance(case.body, dict):
        return False
    schema = _json_body_schema(case)
    if schema is None:
        return False
    properties = schema.get("properties", {})
    read: dict[str, Any] = {}
    for name, value in case.body.items():
        if value is None:
            continue
        text = _as_text(value)
        if properties.get(name, {}).get("type") == "integer" and isinstance(text, str) and INTEGER.fullmatch(text):
            text = int(text)
        read[name] = text
    return jsonschema_rs.validator_for(schema).is_valid(read)


def _envelope_code(response: Any) -> Any:
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _mode(case: Any) -> Any:
    meta = case.meta
    return None if meta is None else meta.generation.mode


class _DefaultStatusesConfig:
    """The run's check configuration, but `negative_data_rejection` at its defaults."""

    def __init__(self, config: Any) -> None:
        self._config = config
        self.negative_data_rejection = NegativeDataRejectionConfig()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._config, name)


class _StrictContext:
    """A check context whose negative-data check does not accept HTTP 200."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx
        self.config = _DefaultStatusesConfig(ctx.config)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)


def _revoke_without_exactly_one_target(case: Any) -> bool:
    """A `revokeSessions` body naming both `id` and `others=true`, or neither."""
    if case.operation.path != "/api/v4.0/sessions/revoke" or not isinstance(case.body, dict):
        return False
    others = str(case.body.get("others", "")).lower() == "true"
    return ("id" in case.body and case.body["id"] is not None) == others


@schemathesis.check
def negative_data_rejected_in_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """Invalid input answered with HTTP 200 must say code 400 in the envelope."""
    mode = _mode(case)
    if mode is None or not mode.is_negative or response.status_code != 200:
        return None
    if _envelope_code(response) in BAD_PARAMETER:
        return True
    if _read_as_the_server_does(case):
        return True
    # Raises "Schema-violating request accepted" unless the built-in check
    # finds the mutation harmless on the wire.
    return negative_data_rejection(_StrictContext(ctx), response, case)


@schemathesis.check
def positive_data_accepted_in_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """Valid input must not be answered with code 400 (bad parameter)."""
    mode = _mode(case)
    if mode is None or not mode.is_positive:
        return None
    code = _envelope_code(response)
    if code not in BAD_PARAMETER:
        return None
    if case.method.upper() == "POST" and isinstance(case.body, NotSet):
        # The document marks POST bodies optional because a POST without one
        # takes its fields from the query string, which it cannot declare for
        # the same operation; with neither, 400 naming the field is right.
        return None
    if _revoke_without_exactly_one_target(case):
        return None
    raise AssertionError(
        f"Schema-conforming request refused with code {code!r}: {response.json().get('msg')}"
    )
