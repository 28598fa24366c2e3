"""Read ADF (Auto-lead Data Format 1.0) lead documents that car makers and lead sites send, safely.

Pure: no database, no models, no network, no file access. `parse_adf` turns untrusted bytes into frozen
dataclasses; the caller decides what to store (and normalises phone numbers to E.164).

Guarantees of `parse_adf`:
- The XML parser is defusedxml with DTDs, entity declarations and external references forbidden, so
  entity expansion ("billion laughs"), XXE and external DTDs are refused before any of them is acted on;
  nothing is read from disk or the network.
- The size cap is checked before any decoding or parsing; the prospect cap before any prospect is read.
  Every text repair is a linear scan, so the work is bounded by the size cap.
- A document is refused (`AdfError`) only when it is unsafe or cannot be read as an ADF document at all.
  A prospect with bad or missing fields is still returned, with warnings; a prospect nobody can contact
  has `is_contactable` False so the caller can report it row by row.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from html.entities import html5
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import ParseError, fromstring, tostring
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.core.exceptions import ApplicationError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

__all__ = ["AdfAddress", "AdfDocument", "AdfError", "AdfProspect", "AdfVehicle", "parse_adf"]


class AdfError(ApplicationError):
    """The whole ADF document is refused: unsafe, unreadable, or not an ADF document."""

    code = "invalid_adf"
    status = 400
    default_message = gettext_lazy("The ADF lead document is invalid.")


@dataclass(frozen=True)
class AdfAddress:
    address_type: str  # the ADF `type` attribute: "home", "work" or "" when absent
    street: str  # street lines in `line` order, joined with a newline
    apartment: str
    city: str
    regioncode: str
    postalcode: str
    country: str


@dataclass(frozen=True)
class AdfVehicle:
    interest: str  # "buy", "lease", "sell", "trade-in" or "test-drive"
    status: str  # "new" or "used"
    year: int | None
    make: str
    model: str
    trim: str
    vin: str  # upper case, 17 characters, or "" when absent or not a plausible VIN
    colour: str  # exterior colour of the preferred colour combination
    comments: str  # plain text, HTML tags stripped
    is_primary: bool  # the vehicle the prospect wants to buy or lease; at most one per prospect


@dataclass(frozen=True)
class AdfProspect:
    index: int  # 1-based position of the prospect in the document, for row-by-row reports
    external_id: str
    id_source: str
    status: str  # "new" or "resend"
    request_date: datetime | None  # always timezone-aware
    name: str  # display name: the business name, else the full name, else composed from parts
    first_name: str
    last_name: str
    is_business: bool
    phones: list[str]  # raw numbers, labels stripped, best first
    emails: list[str]  # lower case, best first
    address: AdfAddress | None
    vehicles: list[AdfVehicle]
    comments: str  # plain text, HTML tags stripped
    timeframe: str
    vendor_name: str
    vendor_id: str
    provider_name: str
    provider_service: str
    warnings: list[str]

    @property
    def is_contactable(self) -> bool:
        """False when the prospect has no phone, no email and no name: nobody can follow it up."""
        return bool(self.phones or self.emails or self.name)


@dataclass(frozen=True)
class AdfDocument:
    prospects: list[AdfProspect]
    warnings: list[str]  # about the whole document; each prospect carries its own warnings


def parse_adf(data: bytes | str, *, max_bytes: int = 1_000_000, max_prospects: int = 500) -> AdfDocument:
    """Parse an ADF document into prospects.

    Preconditions: `data` is the raw document (bytes in any declared encoding, or already decoded text).
    Guarantees: raises `AdfError` (code "invalid_adf") if the document is larger than `max_bytes`, is not
    decodable or not XML (the message names the line and column), declares a DTD or entities, has no
    <adf> root, has no prospect, or has more than `max_prospects`. Otherwise returns every prospect in
    document order; nothing in the returned values can raise later. Element names are matched without
    regard to case or namespace. Common breakages (bare "&", HTML entities and tags in comments, control
    characters) are repaired only when the document does not parse as it is, and a warning says so.
    """
    text, document_warnings = _decode(data, max_bytes=max_bytes)
    root = _parse_xml(text, document_warnings)
    _check_depth(root)
    _normalise_names(root)
    if root.tag != "adf":
        raise AdfError(
            _("The root element is <%(root)s>; an ADF document starts with <adf>.") % {"root": root.tag}
        )
    prospect_elements = root.findall("prospect")
    if not prospect_elements:
        raise AdfError(_("The ADF document contains no prospect."))
    if len(prospect_elements) > max_prospects:
        raise AdfError(
            _("The ADF document contains %(count)s prospects; at most %(limit)s are accepted at once.")
            % {"count": len(prospect_elements), "limit": max_prospects}
        )
    prospects = [_read_prospect(element, index) for index, element in enumerate(prospect_elements, start=1)]
    return AdfDocument(prospects=prospects, warnings=document_warnings)


# --- Decoding and parsing -------------------------------------------------------------------------------

_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_XML_DECLARATION = re.compile(r"<\?xml\s[^<>]*?\?>", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
# Chinese senders declare GB2312 or GBK and use characters only GB18030, their superset, holds.
_ENCODING_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030"}
# Real text encodings only: Python also "decodes" rot13, zlib, punycode (quadratic) and UTF-7 (a known
# way to smuggle markup), none of which a lead sender uses.
_ACCEPTED_ENCODING_PREFIXES = (
    "utf-8",
    "utf-16",
    "utf-32",
    "iso8859",
    "cp",
    "gb",
    "big5",
    "shift_jis",
    "euc_",
)
_ACCEPTED_ENCODINGS = frozenset({"ascii", "koi8-r", "koi8-u"})


def _decode(data: bytes | str, *, max_bytes: int) -> tuple[str, list[str]]:
    """Text of the document, without its XML declaration; the size cap is checked first."""
    warnings: list[str] = []
    if isinstance(data, str):
        # A character is at least one byte: the cheap check first, the exact one only for short text.
        size = len(data) if len(data) > max_bytes else len(data.encode("utf-8", errors="surrogatepass"))
    else:
        size = len(data)
    if size > max_bytes:
        raise AdfError(
            _("The ADF document is too large: %(size)s bytes; the limit is %(limit)s bytes.")
            % {"size": size, "limit": max_bytes}
        )
    text = data if isinstance(data, str) else _decode_bytes(bytes(data), warnings)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise AdfError(_("The ADF document is empty."))
    # The encoding is already applied; a declaration left in would also break on leading whitespace or
    # on an <?adf?> instruction placed before it, both seen in the wild. Lines do not move.
    first_element = _FIRST_ELEMENT.search(text)
    prolog_end = first_element.start() if first_element else len(text)
    text = _XML_DECLARATION.sub("", text[:prolog_end]) + text[prolog_end:]
    return text, warnings


def _decode_bytes(data: bytes, warnings: list[str]) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return _decode_strictly(data[len(bom) :], encoding)
    declared = _DECLARED_ENCODING.match(data)
    if declared:
        name = declared.group(1).decode("ascii").lower()
        try:
            encoding = codecs.lookup(_ENCODING_SUPERSETS.get(name, name)).name
        except LookupError:
            encoding = ""
        if not (encoding.startswith(_ACCEPTED_ENCODING_PREFIXES) or encoding in _ACCEPTED_ENCODINGS):
            raise AdfError(
                _("The ADF document declares an unknown encoding, %(encoding)s.") % {"encoding": name}
            ) from None
    else:
        encoding = "utf-8"
    if encoding != "utf-8":
        return _decode_strictly(data, encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise AdfError(
                _("The ADF document is not valid UTF-8 text (byte %(position)s).")
                % {"position": utf8_error.start + 1}
            ) from None
        warnings.append(_("The document is not valid UTF-8; it was read as GB18030 (Chinese) text."))
        return text


def _decode_strictly(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeError as error:
        raise AdfError(
            _("The ADF document is not valid %(encoding)s text (byte %(position)s).")
            % {"encoding": encoding, "position": getattr(error, "start", 0) + 1}
        ) from None


def _parse_xml(text: str, warnings: list[str]) -> Element:
    """Parse as is; only if that fails, parse again after conservative repairs (never after a refusal).

    A refusal (DTD, entities) on any attempt is final. The error reported is the one of the document as
    sent, so its line and column point into what the sender wrote.
    """
    try:
        return _parse_safely(text)
    except ParseError as error:
        first_error = error
    repaired = _repair(text)
    for attempt in (repaired, _escape_comments(repaired)):
        try:
            root = _parse_safely(attempt)
        except ParseError:
            continue
        warnings.append(
            _(
                'The document was not well-formed XML (bare "&", HTML entities or tags in comments) '
                "and was repaired before reading; check the result."
            )
        )
        return root
    line, column = first_error.position
    problem = str(first_error).split(":", 1)[0]
    raise AdfError(
        _("The document is not well-formed XML: %(problem)s at line %(line)s, column %(column)s.")
        % {"problem": problem, "line": line, "column": column + 1},
        extra={"line": line, "column": column + 1},
    )


def _parse_safely(text: str) -> Element:
    try:
        return fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise AdfError(_("Documents with a DTD or entities are refused.")) from None


_AMPERSAND = re.compile(r"&(#[0-9]{1,8};|#[xX][0-9A-Fa-f]{1,8};|[A-Za-z][A-Za-z0-9]{0,31};)?")
_XML_ENTITY_NAMES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_BARE_LESS_THAN = re.compile(r"<(?=[\s\d=])")
_HTML_VOID_TAG = re.compile(r"<(br|hr|wbr|img)\b([^<>]*?)\s*/?>", re.IGNORECASE)
_HTML_VOID_CLOSING_TAG = re.compile(r"</(?:br|hr|wbr|img)\s*>", re.IGNORECASE)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_COMMENTS_OPENING = re.compile(r"<comments\b[^<>]*?(?<!/)>", re.IGNORECASE)
_COMMENTS_CLOSING = re.compile(r"</comments\s*>", re.IGNORECASE)
_CDATA_START = "<![CDATA["
_CDATA_END = "]]>"


def _repair(text: str) -> str:
    """Fix what senders commonly break, outside CDATA sections; never adds or removes a line.

    Bare "&" becomes "&amp;", HTML-only entities (&nbsp;) become character references, "<" before a
    space or digit becomes "&lt;", unclosed HTML <br>/<hr>/<img> are closed, control characters go.
    """
    return "".join(
        segment if is_cdata else _repair_segment(segment) for segment, is_cdata in _split_cdata(text)
    )


def _repair_segment(segment: str) -> str:
    segment = _CONTROL_CHARACTERS.sub("", segment)
    segment = _AMPERSAND.sub(_repair_reference, segment)
    segment = _BARE_LESS_THAN.sub("&lt;", segment)
    segment = _HTML_VOID_TAG.sub(r"<\1\2/>", segment)
    return _HTML_VOID_CLOSING_TAG.sub("", segment)


def _repair_reference(match: re.Match[str]) -> str:
    reference = match.group(1)
    if reference is None:
        return "&amp;"
    if reference.startswith("#"):
        number = int(reference[2:-1], 16) if reference[1] in "xX" else int(reference[1:-1])
        return match.group(0) if _is_xml_character(number) else "&amp;" + reference
    if reference[:-1] in _XML_ENTITY_NAMES:
        return match.group(0)
    replacement = html5.get(reference)
    if replacement is None:
        return "&amp;" + reference
    return "".join(f"&#{ord(character)};" for character in replacement)


def _is_xml_character(number: int) -> bool:
    return (
        number in (0x9, 0xA, 0xD)
        or 0x20 <= number <= 0xD7FF
        or 0xE000 <= number <= 0xFFFD
        or 0x10000 <= number <= 0x10FFFF
    )


def _split_cdata(text: str) -> list[tuple[str, bool]]:
    """(segment, is_cdata) pieces; a linear scan, so an unclosed section cannot cause quadratic work."""
    segments: list[tuple[str, bool]] = []
    position = 0
    while True:
        start = text.find(_CDATA_START, position)
        end = text.find(_CDATA_END, start + len(_CDATA_START)) if start != -1 else -1
        if start == -1 or end == -1:
            segments.append((text[position:], False))
            return segments
        segments.append((text[position:start], False))
        segments.append((text[start : end + len(_CDATA_END)], True))
        position = end + len(_CDATA_END)


def _escape_comments(text: str) -> str:
    """The last resort: any markup left inside <comments> becomes text (its tags are stripped later)."""
    pieces: list[str] = []
    position = 0
    while True:
        opening = _COMMENTS_OPENING.search(text, position)
        closing = _COMMENTS_CLOSING.search(text, opening.end()) if opening else None
        if opening is None or closing is None:
            pieces.append(text[position:])
            return "".join(pieces)
        pieces.append(text[position : opening.end()])
        for segment, is_cdata in _split_cdata(text[opening.end() : closing.start()]):
            pieces.append(segment if is_cdata else segment.replace("<", "&lt;").replace(">", "&gt;"))
        pieces.append(closing.group(0))
        position = closing.end()


_MAX_DEPTH = 100  # ADF itself is 6 levels deep; the rest is HTML in comments


def _check_depth(root: Element) -> None:
    """Refuse absurd nesting: serialising comments back to HTML recurses once per level."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise AdfError(
                _("The ADF document is nested too deeply (more than %(limit)s levels).")
                % {"limit": _MAX_DEPTH}
            )
        stack.extend((child, depth + 1) for child in element)


def _normalise_names(root: Element) -> None:
    """Lower-case element and attribute names and drop namespaces: senders write Prospect, ADF, ns:adf."""
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1].lower()
        if element.attrib:
            element.attrib = {
                name.rsplit("}", 1)[-1].lower(): value for name, value in element.attrib.items()
            }


# --- Reading elements -----------------------------------------------------------------------------------


def _text(element: Element | None) -> str:
    """All text inside the element, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def _child_text(element: Element | None, name: str) -> str:
    return _text(element.find(name)) if element is not None else ""


def _attribute(element: Element, name: str) -> str:
    return " ".join(element.get(name, "").split()).lower()


def _shorten(value: str, limit: int = 80) -> str:
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


def _plain_texts(elements: list[Element]) -> str:
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


def _parse_datetime(value: str) -> datetime | None:
    """An aware datetime (UTC when the value has no offset), or None when the value is not a date."""
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
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


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


# --- Prospects ------------------------------------------------------------------------------------------

_PROSPECT_STATUSES = frozenset({"new", "resend"})
_VEHICLE_INTERESTS = {
    "buy": "buy",
    "purchase": "buy",
    "lease": "lease",
    "sell": "sell",
    "trade-in": "trade-in",
    "tradein": "trade-in",
    "trade in": "trade-in",
    "trade": "trade-in",
    "test-drive": "test-drive",
    "testdrive": "test-drive",
    "test drive": "test-drive",
    "test_drive": "test-drive",
}
_VEHICLE_STATUSES = {
    "new": "new",
    "used": "used",
    "pre-owned": "used",
    "preowned": "used",
    "certified": "used",
}
_PURCHASE_INTERESTS = ("buy", "lease")
_PLACEHOLDER_NAMES = frozenset(
    {
        "unknown", "unkown", "n/a", "n.a.", "none", "null", "nil", "test", "testing", "tester",
        "-", "--", "---", ".", "..", "...", "?", "x", "xx", "xxx", "tbd", "no name", "noname",
        "not provided", "not given", "anonymous", "customer", "client", "first name", "last name",
        "firstname", "lastname", "name",
        "客户", "顾客", "先生/女士", "女士/先生", "先生", "女士", "小姐", "未知", "无", "匿名", "测试",
        "不详", "客户先生", "客户女士",
    }
)  # fmt: skip
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".\d]{2,}")
_LIST_SEPARATORS = re.compile(r"[;,/]|\s+or\s+|或")
_PHONE_START = re.compile(r"\+?\s*\(?\s*\d")
_PHONE_LABEL = re.compile(r"^[^\d+(]*[^\W\d_][^\d+(]*?[:#]")
_PHONE_TYPE_RANKS = {
    "cellphone": 0,
    "mobile": 0,
    "cell": 0,
    "voice": 1,
    "home": 1,
    "work": 1,
    "pager": 2,
    "fax": 3,
}
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def _read_prospect(element: Element, index: int) -> AdfProspect:
    warnings: list[str] = []
    identifier = next((item for item in element.findall("id") if _text(item)), None)
    status = _attribute(element, "status") or "new"
    if status not in _PROSPECT_STATUSES:
        warnings.append(
            _('The prospect status "%(value)s" is unknown; "new" was assumed.') % {"value": status}
        )
        status = "new"
    request_date_text = _child_text(element, "requestdate")
    request_date = _parse_datetime(request_date_text)
    if request_date_text and request_date is None:
        warnings.append(
            _('The request date "%(value)s" could not be read; it was left empty.')
            % {"value": _shorten(request_date_text)}
        )
    customer = element.find("customer")
    # The primary contact first; ADF allows several contacts per customer.
    contacts = sorted(
        customer.findall("contact") if customer is not None else [],
        key=lambda contact: _attribute(contact, "primarycontact") != "1",
    )
    name, first_name, last_name, is_business = "", "", "", False
    for contact in contacts:
        name, first_name, last_name, is_business = _read_name(contact, warnings)
        if name:
            break
    phones = _read_phones(contacts, warnings)
    emails = _read_emails(contacts, warnings)
    if not (phones or emails or name):
        warnings.append(
            _("No way to contact this prospect: it has no name, no phone number and no email address.")
        )
    vendor = element.find("vendor")
    provider = element.find("provider")
    return AdfProspect(
        index=index,
        external_id=_text(identifier),
        id_source=(identifier.get("source", "").strip() if identifier is not None else ""),
        status=status,
        request_date=request_date,
        name=name,
        first_name=first_name,
        last_name=last_name,
        is_business=is_business,
        phones=phones,
        emails=emails,
        address=next((address for address in map(_read_address, contacts) if address is not None), None),
        vehicles=_read_vehicles(element.findall("vehicle"), warnings),
        comments=_plain_texts(
            (customer.findall("comments") if customer is not None else []) + element.findall("comments")
        ),
        timeframe=_read_timeframe(customer.find("timeframe") if customer is not None else None),
        vendor_name=_child_text(vendor, "vendorname"),
        vendor_id=_child_text(vendor, "id"),
        provider_name=(
            " ".join(text for text in map(_text, provider.findall("name")) if text)
            if provider is not None
            else ""
        ),
        provider_service=_child_text(provider, "service"),
        warnings=list(dict.fromkeys(warnings)),
    )


def _is_placeholder_name(value: str) -> bool:
    words = value.casefold().split()
    if not any(character.isalpha() for character in value):
        return True
    return " ".join(words) in _PLACEHOLDER_NAMES or all(word in _PLACEHOLDER_NAMES for word in words)


def _read_name(contact: Element, warnings: list[str]) -> tuple[str, str, str, bool]:
    """(name, first name, last name, is business) of one contact; placeholders count as missing."""
    parts: dict[str, list[str]] = {"first": [], "middle": [], "last": [], "suffix": [], "full": []}
    business_names: list[str] = []
    for name_element in contact.findall("name"):
        value = _text(name_element)
        if not value:
            continue
        if _is_placeholder_name(value):
            warnings.append(_('The placeholder name "%(value)s" was ignored.') % {"value": _shorten(value)})
            continue
        part = _attribute(name_element, "part")
        if _attribute(name_element, "type") == "business" and part in ("full", ""):
            business_names.append(value)
        else:
            parts.get(part, parts["full"]).append(value)
    first_name, middle_name, last_name, suffix, full_name = (
        " ".join(parts[part]) for part in ("first", "middle", "last", "suffix", "full")
    )
    if business_names:
        name = " ".join(business_names)
    elif full_name:
        name = full_name
    elif _CJK.search(first_name + last_name):
        name = last_name + first_name  # Chinese order, family name first, no space
    else:
        name = " ".join(part for part in (first_name, middle_name, last_name, suffix) if part)
    return name, first_name, last_name, bool(business_names)


def _read_phones(contacts: list[Element], warnings: list[str]) -> list[str]:
    """Raw numbers, labels stripped, deduplicated; preferred first, then mobile, voice, pager, fax."""
    ranked: list[tuple[int, bool, int, int, str]] = []
    for contact_rank, contact in enumerate(contacts):
        for phone_element in contact.findall("phone"):
            raw = _text(phone_element)
            if not raw:
                continue
            is_preferred = _attribute(phone_element, "preferredcontact") == "1"
            type_rank = _PHONE_TYPE_RANKS.get(_attribute(phone_element, "type"), 1)
            pieces = _LIST_SEPARATORS.split(raw)
            # "138… / 139…" holds two numbers; "n/a" or "555-0100, ext 12" holds one.
            if sum(len(re.sub(r"\D", "", piece)) >= 5 for piece in pieces) < 2:
                pieces = [raw]
            for piece in pieces:
                phone = _clean_phone(piece)
                if phone is None:
                    if piece.strip():
                        warnings.append(
                            _('The phone number "%(value)s" has no usable digits and was dropped.')
                            % {"value": _shorten(piece.strip())}
                        )
                    continue
                ranked.append((contact_rank, not is_preferred, type_rank, len(ranked), phone))
    phones: list[str] = []
    seen_digits: set[str] = set()
    for *_rank, phone in sorted(ranked):
        digits = re.sub(r"\D", "", phone)
        if digits not in seen_digits:
            seen_digits.add(digits)
            phones.append(phone)
    return phones


def _clean_phone(raw: str) -> str | None:
    """The number as written, without labels around it ("Cell:", "手机：", "(mobile)"); None if unusable."""
    text = unicodedata.normalize("NFKC", raw).strip()
    text = _PHONE_LABEL.sub("", text, count=1)
    start = _PHONE_START.search(text)
    if start is None:
        return None
    last_digit = max(position for position, character in enumerate(text) if character.isdigit())
    phone = text[start.start() : last_digit + 1].strip()
    if phone.startswith("(") and ")" not in phone:
        phone = phone[1:].strip()
    digits = re.sub(r"\D", "", phone)
    # Fewer than five digits, or one digit repeated (000-000-0000), is a form filled in to get past it.
    if len(digits) < 5 or len(set(digits)) == 1:
        return None
    return phone


def _read_emails(contacts: list[Element], warnings: list[str]) -> list[str]:
    """Lower-cased, loosely valid (something@something.tld), deduplicated; preferred first."""
    ranked: list[tuple[int, bool, int, str]] = []
    for contact_rank, contact in enumerate(contacts):
        for email_element in contact.findall("email"):
            is_preferred = _attribute(email_element, "preferredcontact") == "1"
            for piece in re.split(r"[;,\s]+", _text(email_element)):
                email = unicodedata.normalize("NFKC", piece).strip().lower().removeprefix("mailto:")
                if not email:
                    continue
                if not _EMAIL.fullmatch(email):
                    warnings.append(
                        _('The email address "%(value)s" is not valid and was dropped.')
                        % {"value": _shorten(piece)}
                    )
                    continue
                ranked.append((contact_rank, not is_preferred, len(ranked), email))
    return list(dict.fromkeys(email for *_rank, email in sorted(ranked)))


def _read_address(contact: Element) -> AdfAddress | None:
    address = contact.find("address")
    if address is None:
        return None
    street_lines = sorted(
        address.findall("street"),
        key=lambda street: int(street.get("line", "1")) if street.get("line", "").strip().isdigit() else 1,
    )
    result = AdfAddress(
        address_type=_attribute(address, "type"),
        street="\n".join(text for text in map(_text, street_lines) if text),
        apartment=_child_text(address, "apartment"),
        city=_child_text(address, "city"),
        regioncode=_child_text(address, "regioncode"),
        postalcode=_child_text(address, "postalcode"),
        country=_child_text(address, "country"),
    )
    if not any(
        (result.street, result.apartment, result.city, result.regioncode, result.postalcode, result.country)
    ):
        return None
    return result


def _read_timeframe(timeframe: Element | None) -> str:
    """The description, then the date range: "within a month (2024-03-10 – 2024-04-10)"."""
    if timeframe is None:
        return ""
    description = _text(timeframe.find("description"))
    dates = []
    for name in ("earliestdate", "latestdate"):
        value = _child_text(timeframe, name)
        parsed = _parse_datetime(value)
        dates.append(parsed.date().isoformat() if parsed is not None else value)
    date_range = " – ".join(value or "…" for value in dates) if any(dates) else ""
    if description and date_range:
        return f"{description} ({date_range})"
    return description or date_range


def _read_vehicles(elements: list[Element], warnings: list[str]) -> list[AdfVehicle]:
    """Vehicles in order, empty ones left out; the first to buy or lease (else to test-drive) is primary."""
    vehicles = [
        vehicle
        for vehicle in (_read_vehicle(element, warnings) for element in elements)
        if any(
            (
                vehicle.year,
                vehicle.make,
                vehicle.model,
                vehicle.trim,
                vehicle.vin,
                vehicle.colour,
                vehicle.comments,
            )
        )
    ]
    for interests in (_PURCHASE_INTERESTS, ("test-drive",)):
        position = next((i for i, vehicle in enumerate(vehicles) if vehicle.interest in interests), None)
        if position is not None:
            vehicles[position] = replace(vehicles[position], is_primary=True)
            break
    return vehicles


def _read_vehicle(element: Element, warnings: list[str]) -> AdfVehicle:
    interest_value = _attribute(element, "interest")
    interest = _VEHICLE_INTERESTS.get(interest_value or "buy")
    if interest is None:
        warnings.append(
            _('The vehicle interest "%(value)s" is unknown; "buy" was assumed.') % {"value": interest_value}
        )
        interest = "buy"
    status_value = _attribute(element, "status")
    status = _VEHICLE_STATUSES.get(status_value or "new")
    if status is None:
        warnings.append(
            _('The vehicle status "%(value)s" is unknown; "new" was assumed.') % {"value": status_value}
        )
        status = "new"
    year_text = _child_text(element, "year")
    year = (
        int(year_text)
        if year_text.isascii() and year_text.isdigit() and 1900 <= int(year_text) <= 2100
        else None
    )
    if year_text and year is None:
        warnings.append(
            _('The vehicle year "%(value)s" is not a year and was dropped.') % {"value": _shorten(year_text)}
        )
    vin_text = _child_text(element, "vin")
    vin = re.sub(r"[\s-]", "", vin_text).upper()
    if vin and not _VIN.fullmatch(vin):
        warnings.append(
            _('The VIN "%(value)s" is not 17 valid characters and was dropped.')
            % {"value": _shorten(vin_text)}
        )
        vin = ""
    return AdfVehicle(
        interest=interest,
        status=status,
        year=year,
        make=_child_text(element, "make"),
        model=_child_text(element, "model"),
        trim=_child_text(element, "trim"),
        vin=vin,
        colour=_read_colour(element),
        comments=_plain_texts(element.findall("comments")),
        is_primary=False,
    )


def _read_colour(vehicle: Element) -> str:
    """Exterior colour of the most preferred colour combination (lowest <preference>, else the first)."""
    combinations = vehicle.findall("colorcombination")

    def preference(combination: Element) -> int:
        value = _child_text(combination, "preference")
        return int(value) if value.isascii() and value.isdigit() else 1_000

    for combination in sorted(combinations, key=preference):
        colour = _child_text(combination, "exteriorcolor")
        if colour:
            return colour
    return ""
