"""From untrusted bytes to an element tree, safely: the size cap, decoding, defusedxml, and the repairs of
what senders commonly break; then each <prospect> is read by leads.adf.prospect."""

from __future__ import annotations

import codecs
import re
from html.entities import html5
from typing import TYPE_CHECKING

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import ParseError, fromstring
from django.utils.translation import gettext as _

from leads.adf.document import AdfDocument, AdfError
from leads.adf.prospect import read_prospect

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element


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
    prospects = [read_prospect(element, index) for index, element in enumerate(prospect_elements, start=1)]
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
