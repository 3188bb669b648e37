"""Shared parts of the model: the strict base class, single-value validators and the annotated
types the components use."""

from __future__ import annotations

import ipaddress
import re
import typing
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator

from environments import limits
from environments.images import ImageReferenceError, parse_image

NAME_PATTERN = re.compile(r"[a-z][a-z0-9-]*")
REGION_PATTERN = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]")


class Strict(BaseModel):
    """Unknown keys are errors, types are not coerced (TOML already has real types)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def nested_model(annotation: object) -> type[BaseModel] | None:
    """The model class a field holds (`Cache | None` -> Cache), or None for plain values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = nested_model(argument)
        if found is not None:
            return found
    return None


# --- single-value validators -------------------------------------------------------------

def _ipv4_cidr(text: str) -> str:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError("is not a CIDR block; write it like 10.0.0.0/16") from None
    if network.version != 4:
        raise ValueError("is an IPv6 block; this field takes IPv4 CIDR blocks such as 10.0.0.0/16")
    if str(network) != text:
        raise ValueError(f"has host bits set or is not canonical; did you mean {network}?")
    return text


def _image(text: str) -> str:
    try:
        parse_image(text)
    except ImageReferenceError as error:
        raise ValueError(str(error)) from None
    return text


def _region(text: str) -> str:
    if not REGION_PATTERN.fullmatch(text):
        raise ValueError("is not an AWS region name; write it like eu-west-1 or us-east-1")
    return text


def _log_retention(days: int) -> int:
    if days not in limits.LOG_RETENTION_DAYS:
        accepted = ", ".join(str(value) for value in limits.LOG_RETENTION_DAYS)
        raise ValueError(f"is not a retention CloudWatch Logs accepts; use one of {accepted}")
    return days


def _port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise ValueError("is not a TCP port; use 1 to 65535")
    return port


def _tag_characters(text: str) -> bool:
    """AWS's tag alphabet ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@] in the services' API models)."""
    return all(unicodedata.category(character)[0] in "LZN" or character in limits.TAG_PUNCTUATION
               for character in text)


def _tag_key(key: str) -> str:
    low, high = limits.TAG_KEY_LENGTH
    if not low <= len(key) <= high or key.lower().startswith("aws:") or not _tag_characters(key):
        raise ValueError(f"is not a usable tag key; use {low}-{high} letters, digits, spaces or "
                         f"{' '.join(limits.TAG_PUNCTUATION)}, not starting with 'aws:'")
    return key


def _tag_value(value: str) -> str:
    if len(value) > limits.TAG_VALUE_MAX_LENGTH or not _tag_characters(value):
        raise ValueError(f"is not a usable tag value; use at most {limits.TAG_VALUE_MAX_LENGTH} letters, digits, "
                         f"spaces or {' '.join(limits.TAG_PUNCTUATION)}")
    return value


def _image_repository(text: str) -> str:
    try:
        reference = parse_image(text)
    except ImageReferenceError as error:
        raise ValueError(str(error)) from None
    if reference.tag or reference.digest:
        raise ValueError(f"names an image, not a repository; write {reference.repository}")
    return text


def _distinct(values: list) -> list:
    repeated = sorted({str(value) for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"lists {', '.join(repeated)} more than once; list each entry once")
    return values


def _rotation_days(value: object) -> int | str:
    """A whole number of days Secrets Manager accepts, or "off" (checked here as one value, so a wrong
    one gets one message rather than one per member of the union)."""
    low, high = limits.SECRET_ROTATION_DAYS
    if value == "off":
        return "off"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f'is neither a number of days nor "off"; write a whole number from {low} to {high}, '
                         'without quotes, or "off"')
    if not low <= value <= high:
        raise ValueError(f'Secrets Manager rotates a secret every {low} to {high} days; write a number in that '
                         'range, or "off"')
    return value


def _name(text: str) -> str:
    if not NAME_PATTERN.fullmatch(text):
        raise ValueError("must match [a-z][a-z0-9-]* (lower case letter, then letters, digits, '-')")
    return text


Cidr = Annotated[str, AfterValidator(_ipv4_cidr)]
Image = Annotated[str, AfterValidator(_image)]
Region = Annotated[str, AfterValidator(_region)]
Port = Annotated[int, AfterValidator(_port)]
LogRetention = Annotated[int, AfterValidator(_log_retention)]
TagKey = Annotated[str, AfterValidator(_tag_key)]
TagValue = Annotated[str, AfterValidator(_tag_value)]
Name = Annotated[str, AfterValidator(_name)]
NonNegative = Annotated[int, Field(ge=0)]
RotationDays = Annotated[int | Literal["off"], PlainValidator(_rotation_days)]
# A list whose entries must differ (each becomes a resource, a rule value or a model name).
Distinct = AfterValidator(_distinct)
