"""Reading text out of ADF elements: whitespace collapsed, HTML reduced to plain text, dates in the
formats senders write them."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from defusedxml.ElementTree import tostring

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element


def element_text(element: Element | None) -> str:
    """All text inside the element, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def child_text(element: Element | None, name: str) -> str:
    return element_text(element.find(name)) if element is not None else ""


def attribute(element: Element, name: str) -> str:
    return " ".join(element.get(name, "").split()).lower()


def shorten(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


class _HtmlText(HTMLParser):
    """Collects the text of an HTML fragment; block tags become line breaks, scripts and styles vanish."""

    LINE_BREAKING_TAGS = frozenset(
        {"br", "p", "div", "li", "tr", "hr", "ul", "ol", "table", "blockquote", "pre"}
        | {"h1", "h2", "h3", "h4", "h5", "h6"}
    )
    HIDDEN_TAGS = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN_TAGS:
            self.hidden_depth += 1
        elif tag in self.LINE_BREAKING_TAGS:
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN_TAGS:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag in self.LINE_BREAKING_TAGS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.pieces.append(data)


def _plain_text(element: Element | None) -> str:
    """Text of a free-text element, whether its HTML came escaped, in CDATA, or as child elements."""
    if element is None:
        return ""
    # Element text is read as HTML (senders escape their HTML); child elements are re-serialised for it.
    markup = (element.text or "") + "".join(tostring(child, encoding="unicode") for child in element)
    if "<" in markup or "&" in markup:
        parser = _HtmlText()
        parser.feed(markup)
        parser.close()
        markup = "".join(parser.pieces)
    lines = (" ".join(line.split()) for line in markup.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def plain_texts(elements: list[Element]) -> str:
    return "\n".join(text for text in (_plain_text(element) for element in elements) if text)


# --- Dates ----------------------------------------------------------------------------------------------

_TIME = (
    r"(?:[T\s]\s*(?P<hour>\d{1,2})[:时](?P<minute>\d{1,2})分?(?:[:分](?P<second>\d{1,2})秒?(?:[.,]\d+)?)?"
    r"\s*(?P<meridiem>[AaPp]\.?[Mm]\.?)?)?"
)
_OFFSET = r"\s*(?P<offset>Z|UTC|GMT|[+-]\d{1,2}(?::?\d{1,2})?)?"
_DATE_FORMATS = (
    # 2024-03-05T8:47:50-08:00, 2024-3-5 14:22, 2024/3/5 14:22, 2024.03.05
    re.compile(
        r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})" + _TIME + _OFFSET, re.IGNORECASE
    ),
    # US order, as ADF senders mostly are: 03/05/2024 2:22 PM
    re.compile(r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})" + _TIME + _OFFSET, re.IGNORECASE),
    # 2024年3月5日 14:22
    re.compile(
        r"(?P<year>\d{4})年(?P<month>\d{1,2})月(?P<day>\d{1,2})日?\s*" + _TIME.replace("[T\\s]", "[T\\s]?")
    ),
)
_EPOCH_SECONDS = re.compile(r"\d{9,10}(?:\.\d+)?")
_EPOCH_MILLISECONDS = re.compile(r"\d{13}")


def parse_datetime(value: str) -> datetime | None:
    """The date as written, or None when the value is not a date: aware when the value names its zone (an
    offset, Z, UTC, GMT) or is an epoch time, naive when it does not. Only the receiver knows in which
    zone a naive date was meant (see AdfProspect.request_date_in)."""
    value = unicodedata.normalize("NFKC", value).strip()
    if not value:
        return None
    try:
        if _EPOCH_SECONDS.fullmatch(value):
            return datetime.fromtimestamp(float(value), tz=UTC)
        if _EPOCH_MILLISECONDS.fullmatch(value):
            return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None:
        for pattern in _DATE_FORMATS:
            match = pattern.fullmatch(value)
            if match:
                parsed = _datetime_from_match(match)
                break
    if parsed is None or not 1970 <= parsed.year <= 2100:
        return None
    return parsed


def _datetime_from_match(match: re.Match[str]) -> datetime | None:
    parts = match.groupdict()
    hour = int(parts.get("hour") or 0)
    meridiem = (parts.get("meridiem") or "").lower().replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    try:
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            hour,
            int(parts.get("minute") or 0),
            int(parts.get("second") or 0),
            tzinfo=_timezone(parts.get("offset") or ""),
        )
    except ValueError:
        return None


def _timezone(offset: str) -> timezone | None:
    if not offset:
        return None
    if offset.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if offset.startswith("-") else 1
    hours, _separator, minutes = offset[1:].partition(":")
    if not _separator and len(hours) > 2:
        hours, minutes = hours[:2], hours[2:]
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))
