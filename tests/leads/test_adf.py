"""ADF lead documents: real-world sloppiness is tolerated, unsafe or unreadable documents are refused."""

import builtins
import dataclasses
import io
import os
import socket
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext

from crm.core.exceptions import ApplicationError
from leads import adf
from leads.adf import AdfError, parse_adf
from leads.adf import parse as adf_parse
from leads.adf.text import parse_datetime

SAMPLES = Path(__file__).parent / "adf_samples"
NO_WAY_TO_CONTACT = "No way to contact this prospect"
NO_WAY_TO_CONTACT_WARNING = "No way to contact this prospect: it has no phone number and no email address."


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def minimal_prospect(name: str = "Jane Roe") -> str:
    return f'<prospect><customer><contact><name part="full">{name}</name></contact></customer></prospect>'


@contextmanager
def no_file_or_network_access():
    """Any attempt to open a file or a connection while parsing fails the test."""
    gettext("warm up the translation catalogue")  # the catalogue is read from disk once, on first use

    def refuse(*args, **kwargs):
        raise AssertionError(f"the parser tried to reach the outside world: {args!r}")

    with (
        mock.patch.object(builtins, "open", refuse),
        mock.patch.object(io, "open", refuse),
        mock.patch.object(os, "open", refuse),
        mock.patch.object(socket, "socket", refuse),
        mock.patch.object(socket, "create_connection", refuse),
        mock.patch.object(urllib.request, "urlopen", refuse),
    ):
        yield


def refused_quickly(data: bytes | str, **limits) -> AdfError:
    """The AdfError raised for `data`, without any file or network access. The time bound is a hang guard
    (an entity-expansion bomb runs for minutes or exhausts memory), far above the milliseconds it takes."""
    started = time.monotonic()
    with no_file_or_network_access(), pytest.raises(AdfError) as caught:
        parse_adf(data, **limits)
    assert time.monotonic() - started < 15
    return caught.value


# --- A complete prospect --------------------------------------------------------------------------------


def test_full_prospect_is_read_field_by_field():
    document = parse_adf(sample("single_full.xml"))

    assert document.warnings == []
    [prospect] = document.prospects
    assert prospect.index == 1
    assert (prospect.external_id, prospect.id_source) == ("WEB-2024-000123", "Brand Website")
    assert prospect.status == "new"
    assert prospect.request_date == datetime(2024, 3, 5, 19, 22, 1, tzinfo=UTC)
    assert (prospect.name, prospect.first_name, prospect.last_name) == (
        "Maria Anne Garcia",
        "Maria",
        "Garcia",
    )
    assert prospect.is_business is False
    assert prospect.address == adf.AdfAddress(
        address_type="home",
        street="1420 N Lake Shore Dr\nApt 4B",
        apartment="",
        city="Chicago",
        regioncode="IL",
        postalcode="60610",
        country="US",
    )
    assert prospect.comments == "Please call after 5pm. Would like a test drive on Saturday."
    assert prospect.timeframe == "Within a month (2024-03-10 – 2024-04-10)"
    assert (prospect.vendor_name, prospect.vendor_id) == ("Lakeshore Volkswagen", "VW-IL-0042")
    assert (prospect.provider_name, prospect.provider_service) == ("Brand Lead Network", "Request a Quote")
    assert prospect.warnings == []
    assert prospect.is_contactable is True


def test_phones_keep_their_format_lose_their_labels_and_come_in_preference_order():
    [prospect] = parse_adf(sample("single_full.xml")).prospects

    # preferred mobile, then voice, then fax; the vendor's and provider's numbers are not the customer's
    assert prospect.phones == ["312.555.0199", "(312) 555-0142", "+1 (312) 555-0100"]


def test_emails_are_lower_cased_preferred_first():
    [prospect] = parse_adf(sample("single_full.xml")).prospects

    assert prospect.emails == ["maria.work@example.org", "maria.garcia@example.com"]


def test_every_vehicle_is_kept_and_the_first_to_buy_or_lease_is_primary():
    [prospect] = parse_adf(sample("single_full.xml")).prospects

    trade_in, wanted, leased = prospect.vehicles
    assert (trade_in.interest, trade_in.status, trade_in.is_primary) == ("trade-in", "used", False)
    assert trade_in.vin == "2HGFC2F59GH512345"  # upper-cased, the stray space removed
    assert trade_in.comments == "Small dent on the rear bumper."
    assert wanted == adf.AdfVehicle(
        interest="buy",
        status="new",
        year=2024,
        make="Volkswagen",
        model="Tiguan L",
        trim="330TSI Deluxe",
        vin="LSVUA65N8R2012345",
        colour="Deep Black Pearl",  # the colour combination with preference 1
        comments="Interested in the winter tyre package.",
        is_primary=True,
    )
    assert (leased.interest, leased.is_primary) == ("lease", False)


def test_results_are_frozen():
    [prospect] = parse_adf(sample("single_full.xml")).prospects

    with pytest.raises(dataclasses.FrozenInstanceError):
        prospect.name = "Someone else"  # type: ignore[misc]


# --- Several prospects, case and namespaces -------------------------------------------------------------


def test_three_prospects_in_upper_and_mixed_case_are_read_in_order():
    document = parse_adf(sample("multiple_prospects.xml"))

    assert [prospect.index for prospect in document.prospects] == [1, 2, 3]
    assert [prospect.external_id for prospect in document.prospects] == ["AT-1001", "CC-77", "ED-5"]
    assert [prospect.status for prospect in document.prospects] == ["new", "resend", "new"]
    first = document.prospects[0]
    assert first.emails == ["john.smith@example.com"]
    assert first.vendor_name == "Harbor Toyota"
    assert first.vehicles[0].model == "Camry"


def test_business_prospect_keeps_its_company_name_and_contact_person():
    business = parse_adf(sample("multiple_prospects.xml")).prospects[1]

    assert business.is_business is True
    assert business.name == "Acme Plumbing & Heating LLC"
    assert (business.first_name, business.last_name) == ("Dana", "Lee")
    assert [vehicle.is_primary for vehicle in business.vehicles] == [True, False]


def test_first_and_last_parts_compose_the_name_when_there_is_no_full_name():
    individual = parse_adf(sample("multiple_prospects.xml")).prospects[2]

    assert (individual.name, individual.first_name, individual.last_name) == (
        "Priya Natarajan",
        "Priya",
        "Natarajan",
    )
    assert individual.is_business is False


def test_test_drive_is_primary_when_nobody_asked_to_buy_or_lease():
    individual = parse_adf(sample("multiple_prospects.xml")).prospects[2]

    assert [(vehicle.interest, vehicle.is_primary) for vehicle in individual.vehicles] == [
        ("test-drive", True)
    ]


def test_a_vehicle_only_sold_or_traded_in_is_never_primary():
    document = parse_adf(
        '<adf><prospect><vehicle interest="sell"><make>Audi</make></vehicle>'
        '<vehicle interest="trade-in"><make>BMW</make></vehicle>'
        '<customer><contact><name part="full">Jane Roe</name></contact></customer></prospect></adf>'
    )

    assert [vehicle.is_primary for vehicle in document.prospects[0].vehicles] == [False, False]


def test_default_namespace_is_ignored():
    document = parse_adf(f'<adf xmlns="urn:example:adf">{minimal_prospect()}</adf>')

    assert document.prospects[0].name == "Jane Roe"


# --- Missing, empty and placeholder fields -------------------------------------------------------------


def test_empty_elements_and_placeholder_names_count_as_missing():
    phone_only = parse_adf(sample("missing_fields.xml")).prospects[0]

    assert (phone_only.name, phone_only.first_name, phone_only.last_name) == ("", "", "")
    assert phone_only.phones == ["555-867-5309"]
    assert phone_only.emails == []
    assert phone_only.vehicles == []
    assert phone_only.address is None
    assert (phone_only.external_id, phone_only.request_date, phone_only.comments, phone_only.timeframe) == (
        "",
        None,
        "",
        "",
    )
    assert phone_only.warnings == ['The placeholder name "Unknown" was ignored.']
    assert phone_only.is_contactable is True


def test_prospect_without_name_phone_or_email_is_returned_flagged_not_refused():
    document = parse_adf(sample("missing_fields.xml"))

    contactable = [prospect.is_contactable for prospect in document.prospects]
    assert contactable == [True, False, False, False]
    for prospect in document.prospects[1:]:
        assert any(NO_WAY_TO_CONTACT in warning for warning in prospect.warnings)


def test_invalid_email_and_placeholder_phone_are_dropped_with_warnings():
    no_contact = parse_adf(sample("missing_fields.xml")).prospects[1]

    assert no_contact.emails == []
    assert no_contact.phones == []
    assert 'The email address "not-an-email" is not valid and was dropped.' in no_contact.warnings
    assert 'The phone number "n/a" has no usable digits and was dropped.' in no_contact.warnings
    assert 'The placeholder name "N/A" was ignored.' in no_contact.warnings


def test_a_vehicle_with_only_empty_elements_is_left_out():
    no_contact = parse_adf(sample("missing_fields.xml")).prospects[1]

    assert no_contact.vehicles == []
    assert no_contact.request_date == datetime(2024, 3, 5)


@pytest.mark.parametrize(
    "value",
    [
        "Unknown",
        "UNKNOWN",
        "N/A",
        "test",
        "Test Test",
        "none",
        "-",
        "...",
        "12345",
        "客户",
        "先生/女士",
        "未知",
        "ＵＮＫＮＯＷＮ",
        "(none)",
        "“N/A”",
        "undefined",
        "Null Null",
        "暂无",
        "?",
        "--",
    ],
)
def test_placeholder_names_are_ignored(value):
    [prospect] = parse_adf(f"<adf>{minimal_prospect(value)}</adf>").prospects

    assert prospect.name == ""
    assert prospect.is_contactable is False


@pytest.mark.parametrize("value", ["Mr. Smith", "Na Li", "Malcolm X", "王先生", "Test Driver Wang"])
def test_names_that_merely_contain_a_placeholder_word_are_kept(value):
    [prospect] = parse_adf(f"<adf>{minimal_prospect(value)}</adf>").prospects

    assert prospect.name == value


@pytest.mark.parametrize(
    ("raw", "number", "extension"),
    [
        ("021-5888 1001 ext. 12", "021-5888 1001", "12"),
        ("021-5888 1001 Ext: 12", "021-5888 1001", "12"),
        ("(312) 555-0100 extension 345", "(312) 555-0100", "345"),
        ("312.555.0100x12", "312.555.0100", "12"),
        ("312.555.0100 X 12", "312.555.0100", "12"),
        ("0571-8866 2002转56", "0571-8866 2002", "56"),
        ("025-5211 3003 分机号：8801", "025-5211 3003", "8801"),
        ("010-6788 1001 #78", "010-6788 1001", "78"),
        ("０１０－６７８８ １００１ ＃７８", "010-6788 1001", "78"),
        ("+1 312 555 0100;ext=12", "+1 312 555 0100", "12"),
        ("(312) 555-0100 (ext 12)", "(312) 555-0100", "12"),
        ("Work: 555-0100, ext 12", "555-0100", "12"),
    ],
)
def test_phone_extensions_are_cut_off_the_number_and_kept_apart(raw, number, extension):
    document = parse_adf(
        f"<adf><prospect><customer><contact><phone>{raw}</phone></contact></customer></prospect></adf>"
    )

    [prospect] = document.prospects
    assert prospect.phones == [number]
    assert prospect.phone_extensions == {number: extension}


@pytest.mark.parametrize("raw", ["138 1234 5678", "Cell#: 138 1234 5678", "#12", "+1 (312) 555-0100"])
def test_numbers_without_an_extension_have_none(raw):
    document = parse_adf(
        f"<adf><prospect><customer><contact><phone>{raw}</phone></contact></customer></prospect></adf>"
    )

    assert document.prospects[0].phone_extensions == {}


@pytest.mark.parametrize(
    ("odometer", "reading", "units"),
    [
        ('<odometer units="km">90,000</odometer>', 90000, "km"),
        ('<odometer status="original" units="Miles">45123</odometer>', 45123, "mi"),
        ("<odometer>88 000 km</odometer>", 88000, "km"),
        ("<odometer>6.5万公里</odometer>", 65000, "km"),
        ("<odometer>120000</odometer>", 120000, ""),
    ],
)
def test_odometer_reading_keeps_its_units_and_never_guesses_them(odometer, reading, units):
    document = parse_adf(
        f'<adf><prospect><vehicle interest="trade-in"><make>VW</make>{odometer}</vehicle></prospect></adf>'
    )

    [vehicle] = document.prospects[0].vehicles
    assert (vehicle.odometer, vehicle.odometer_units) == (reading, units)
    assert document.prospects[0].warnings == [NO_WAY_TO_CONTACT_WARNING]


@pytest.mark.parametrize(
    ("odometer", "warning"),
    [
        ("<odometer>lots</odometer>", 'The odometer reading "lots" is not a number and was dropped.'),
        (
            "<odometer>99999999999</odometer>",
            'The odometer reading "99999999999" is not plausible and was dropped.',
        ),
        (
            '<odometer units="furlongs">3</odometer>',
            'The odometer units "furlongs" are unknown; the reading was kept without units.',
        ),
    ],
)
def test_unreadable_odometer_is_reported(odometer, warning):
    document = parse_adf(
        f'<adf><prospect><vehicle interest="trade-in"><make>VW</make>{odometer}</vehicle></prospect></adf>'
    )

    assert warning in document.prospects[0].warnings


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("Mixed.Case@Example.COM", "mixed.case@example.com"),
        ("mailto:someone@example.cn", "someone@example.cn"),
        ("  spaced@example.org  ", "spaced@example.org"),
    ],
)
def test_valid_emails_are_kept_lower_cased(raw, kept):
    document = parse_adf(
        f"<adf><prospect><customer><contact><email>{raw}</email></contact></customer></prospect></adf>"
    )

    assert document.prospects[0].emails == [kept]


@pytest.mark.parametrize("raw", ["no-at-sign.example.com", "someone@localhost", "a@b.c", "two@@example.com"])
def test_loosely_invalid_emails_are_dropped(raw):
    document = parse_adf(
        f"<adf><prospect><customer><contact><email>{raw}</email></contact></customer></prospect></adf>"
    )

    assert document.prospects[0].emails == []
    assert any("not valid" in warning for warning in document.prospects[0].warnings)


def test_unknown_attribute_values_fall_back_to_the_adf_defaults_with_warnings():
    document = parse_adf(
        '<adf><prospect status="hot"><vehicle interest="maybe" status="demo"><make>Kia</make>'
        "<year>20X4</year><vin>123</vin></vehicle>"
        '<customer><contact><name part="full">Jane Roe</name></contact></customer></prospect></adf>'
    )

    [prospect] = document.prospects
    [vehicle] = prospect.vehicles
    assert prospect.status == "new"
    assert (vehicle.interest, vehicle.status, vehicle.year, vehicle.vin) == ("buy", "new", None, "")
    assert len(prospect.warnings) == 6  # and: a name alone is no way to contact Jane
    assert NO_WAY_TO_CONTACT_WARNING in prospect.warnings


# --- HTML and broken markup in comments ----------------------------------------------------------------


def test_html_and_bare_ampersands_in_comments_are_repaired_and_stripped_to_text():
    document = parse_adf(sample("html_comments.xml"))

    assert len(document.warnings) == 1
    assert "repaired" in document.warnings[0]
    chat = document.prospects[0]
    assert chat.id_source == "Dealer Website & Chat"
    assert chat.name == "Li & Chen Family"
    assert chat.comments == (
        "Customer asked: Is the R&D edition in stock?\nTrade-in: 2015 Audi A4 © whatever\nBest time: evenings & weekends"
    )
    assert chat.vehicles[0].comments == "Options: AMG line & panoramic roof\nBudget < $60k"


def test_html_inside_cdata_is_stripped_and_its_ampersands_are_left_alone():
    cdata = parse_adf(sample("html_comments.xml")).prospects[1]

    assert cdata.comments == "Wants black & white two-tone\nPrice & delivery?"


def test_escaped_html_from_web_forms_is_stripped():
    escaped = parse_adf(sample("html_comments.xml")).prospects[2]

    assert escaped.comments == "Escaped HTML from a web form"


def test_well_formed_html_child_elements_in_comments_become_lines_of_text():
    document = parse_adf(
        "<adf><prospect><customer><contact><phone>555-0100-99</phone></contact>"
        "<comments>Line one<br/>Line <b>two</b><script>alert(1)</script><p>Line three</p></comments>"
        "</customer></prospect></adf>"
    )

    assert document.warnings == []
    assert document.prospects[0].comments == "Line one\nLine two\nLine three"


def test_unclosed_html_tags_in_comments_are_escaped_as_a_last_resort():
    document = parse_adf(
        "<adf><prospect><customer><contact><phone>555-0100-99</phone></contact>"
        "<comments><p>First paragraph<p>Second <b>bold <i>mixed</b></i> &c.</comments>"
        "</customer></prospect></adf>"
    )

    assert document.prospects[0].comments == "First paragraph\nSecond bold mixed &c."
    assert document.warnings != []


def test_invalid_character_references_and_control_characters_are_repaired():
    document = parse_adf(f"<adf>{minimal_prospect('Jane\x0b Roe &#0;')}</adf>")

    assert document.prospects[0].name == "Jane Roe &#0;"


# --- Dates ----------------------------------------------------------------------------------------------

BEIJING = timezone(timedelta(hours=8))


def test_request_dates_in_every_common_format_are_read_as_written_with_their_zone_if_any():
    prospects = parse_adf(sample("dates.xml")).prospects
    dates = [prospect.request_date for prospect in prospects]

    assert dates == [
        datetime(2024, 3, 5, 14, 22, 1, tzinfo=BEIJING),  # ISO 8601 with an offset
        datetime(2024, 3, 5, 14, 22, 1),  # ISO 8601 without an offset: no zone assumed
        datetime(2024, 3, 5, 14, 22, 1),  # "2024-03-05 14:22:01"
        datetime(2024, 3, 5, 14, 22),  # "03/05/2024 2:22 PM", month first
        datetime(2024, 3, 5, 14, 22),  # "2024/3/5 14:22"
        datetime(2024, 3, 5, 14, 22, 1, tzinfo=UTC),  # epoch seconds name an instant
        datetime(2008, 6, 25, 8, 47, 50),  # the ADF spec's own sample: one-digit hour
        datetime(2024, 3, 5, 14, 22),  # "2024年3月5日 14:22"
        None,  # "next Tuesday"
        None,  # "13/45/2024 10:00"
    ]
    assert [prospect.request_date_has_zone for prospect in prospects] == [
        True, False, False, False, False, True, False, False, False, False
    ]  # fmt: skip


def test_a_date_without_a_zone_is_read_in_the_zone_the_receiver_gives():
    with_offset, without_offset = parse_adf(sample("dates.xml")).prospects[:2]
    shanghai, chicago = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Chicago")

    assert without_offset.request_date_in(shanghai) == datetime(2024, 3, 5, 6, 22, 1, tzinfo=UTC)
    assert without_offset.request_date_in(chicago) == datetime(2024, 3, 5, 20, 22, 1, tzinfo=UTC)
    assert with_offset.request_date_in(chicago) == datetime(2024, 3, 5, 6, 22, 1, tzinfo=UTC)


def test_unreadable_request_date_is_left_empty_with_a_warning():
    prospects = parse_adf(sample("dates.xml")).prospects

    unreadable = 'The request date "next Tuesday" could not be read; it was left empty.'
    # The sample's prospects carry names only: the parser also says nobody can contact them.
    assert prospects[8].warnings == [unreadable, NO_WAY_TO_CONTACT_WARNING]
    assert prospects[0].warnings == [NO_WAY_TO_CONTACT_WARNING]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05T14:22:01Z", datetime(2024, 3, 5, 14, 22, 1, tzinfo=UTC)),
        ("2024-03-05T14:22:01+0800", datetime(2024, 3, 5, 14, 22, 1, tzinfo=BEIJING)),
        ("2000-03-30T15:30:20-08:0", datetime(2000, 3, 30, 23, 30, 20, tzinfo=UTC)),
        ("03/05/2024 12:05 AM", datetime(2024, 3, 5, 0, 5)),
        ("03/05/2024", datetime(2024, 3, 5)),
        ("1709648521000", datetime(2024, 3, 5, 14, 22, 1, tzinfo=UTC)),
        ("0000-00-00 00:00:00", None),
        ("03/05/2024 13:00 PM", None),
        ("", None),
    ],
)
def test_date_formats(value, expected):
    assert parse_datetime(value) == expected


# --- Chinese prospects and encodings -------------------------------------------------------------------


def test_chinese_name_is_family_name_first_without_a_space():
    [prospect, *_] = parse_adf(sample("chinese.xml")).prospects

    assert (prospect.name, prospect.first_name, prospect.last_name) == ("欧阳娜娜", "娜娜", "欧阳")
    assert prospect.id_source == "一汽-大众 官网"
    assert prospect.address is not None and prospect.address.city == "北京"
    assert prospect.vehicles[0].colour == "极地白"
    assert prospect.comments == "希望周末到店试驾，请提前电话联系。"
    assert (prospect.vendor_name, prospect.provider_name, prospect.provider_service) == (
        "北京某某大众4S店",
        "汽车之家",
        "询底价",
    )


def test_chinese_phone_labels_are_stripped_and_two_numbers_in_one_element_are_split():
    [prospect, *_] = parse_adf(sample("chinese.xml")).prospects

    assert prospect.phones == ["+86 138 0013 8000", "+86-139-1234-5678", "13800138000", "(010)6552-9988"]


def test_full_width_digits_are_read_and_polite_placeholder_is_ignored():
    placeholder = parse_adf(sample("chinese.xml")).prospects[1]

    assert placeholder.name == ""
    assert placeholder.phones == ["139 1234 5678"]
    assert placeholder.is_contactable is True


def test_surname_with_honorific_is_a_name_but_customer_alone_is_not():
    honorific = parse_adf(sample("chinese.xml")).prospects[2]

    assert honorific.name == "王先生"
    assert honorific.last_name == ""
    assert honorific.emails == ["wang.xs@qq.com"]


def test_document_declared_gb2312_is_decoded():
    text = sample("chinese.xml").decode("utf-8").replace('encoding="UTF-8"', 'encoding="GB2312"')

    document = parse_adf(text.encode("gb18030"))

    assert document.prospects[0].name == "欧阳娜娜"
    assert document.warnings == []


def test_undeclared_gb18030_is_read_with_a_warning():
    text = sample("chinese.xml").decode("utf-8").replace(' encoding="UTF-8"', "")

    document = parse_adf(text.encode("gb18030"))

    assert document.prospects[0].name == "欧阳娜娜"
    assert document.warnings == ["The document is not valid UTF-8; it was read as GB18030 (Chinese) text."]


def test_text_input_and_a_byte_order_mark_are_accepted():
    text = sample("chinese.xml").decode("utf-8")

    assert parse_adf(text).prospects[0].name == "欧阳娜娜"
    assert parse_adf("\ufeff" + text).prospects[0].name == "欧阳娜娜"
    assert parse_adf(b"\xef\xbb\xbf" + text.encode("utf-8")).prospects[0].name == "欧阳娜娜"


@pytest.mark.parametrize("encoding", ["klingon-8", "utf-7", "zlib", "punycode", "rot13"])
def test_unknown_or_non_text_declared_encoding_is_refused(encoding):
    error = refused_quickly(f'<?xml version="1.0" encoding="{encoding}"?><adf/>'.encode("ascii"))

    assert error.message == f"The ADF document declares an unknown encoding, {encoding}."


def test_bytes_that_do_not_match_the_declared_encoding_are_refused_with_the_position():
    error = refused_quickly(b'<?xml version="1.0" encoding="utf-16"?><adf>\xff</adf>')

    assert "not valid utf-16 text" in str(error.message)


# --- Unsafe documents ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["billion_laughs.xml", "xxe.xml", "xxe_parameter_entity.xml", "external_dtd.xml"]
)
def test_documents_with_a_dtd_or_entities_are_refused_fast_without_reading_anything(name):
    error = refused_quickly(sample(name))

    assert error.message == "Documents with a DTD or entities are refused."
    assert error.code == "invalid_adf"
    assert "root:" not in str(error.message)


def test_xxe_never_leaks_a_local_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER", encoding="utf-8")
    document = (
        f'<?xml version="1.0"?><!DOCTYPE adf [<!ENTITY e SYSTEM "{secret.as_uri()}">]>'
        f'<adf><prospect><customer><contact><name part="full">&e;</name></contact></customer></prospect></adf>'
    )

    error = refused_quickly(document)

    assert "TOP-SECRET-MARKER" not in str(error.message) + repr(error.extra)


def test_a_dtd_hidden_after_broken_markup_is_still_refused():
    # The first parse fails on the bare "&"; the repaired attempts must still refuse the DTD.
    error = refused_quickly(
        '<?xml version="1.0"?>\n<!DOCTYPE adf [<!ENTITY e "x">]>\n'
        "<adf><prospect><customer><comments>A & B &e;</comments></customer></prospect></adf>"
    )

    assert error.message == "Documents with a DTD or entities are refused."


def test_oversize_document_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(adf_parse, "fromstring", mock.Mock(side_effect=AssertionError("parsed")))
    oversize = b"<adf>" + b" " * 1_000_000 + b"</adf>"

    error = refused_quickly(oversize)

    assert "too large" in str(error.message)
    assert "1000011" in str(error.message)


def test_size_limit_counts_bytes_not_characters_for_text_input():
    text = f"<adf>{minimal_prospect('张' * 400)}</adf>"  # 400 characters, 1,200 bytes in UTF-8

    with pytest.raises(AdfError, match="too large"):
        parse_adf(text, max_bytes=1_000)
    assert parse_adf(text, max_bytes=2_000).prospects[0].name == "张" * 400


def test_absurdly_deep_nesting_is_refused():
    deep = (
        "<adf><prospect><customer><comments>"
        + "<b>" * 5_000
        + "</b>" * 5_000
        + "</comments></customer></prospect></adf>"
    )

    error = refused_quickly(deep)

    assert "nested too deeply" in str(error.message)


@pytest.mark.parametrize(
    "pathological",
    [
        "<adf>" + "<comments>&" * 60_000,
        "<adf>" + "<![CDATA[" * 100_000,
        "<adf>" + "&" * 900_000,
        "<adf>" + "<br " * 200_000,
    ],
)
def test_pathological_repairs_stay_fast(pathological):
    refused_quickly(pathological)


# --- Unreadable or empty documents ----------------------------------------------------------------------


def test_plain_text_is_not_xml_and_the_error_names_line_and_column():
    error = refused_quickly(sample("not_xml.xml"))

    assert error.message == "The document is not well-formed XML: syntax error at line 1, column 1."
    assert error.extra == {"line": 1, "column": 1}


def test_broken_structure_reports_the_line_of_the_original_document():
    error = refused_quickly("<adf>\n  <prospect>\n    <customer>\n  </prospect>\n</adf>")

    assert error.extra["line"] == 4
    assert "mismatched tag" in str(error.message)


@pytest.mark.parametrize("empty", [b"", "   \n  ", b"\xef\xbb\xbf"])
def test_empty_document_is_refused(empty):
    error = refused_quickly(empty)

    assert error.message == "The ADF document is empty."


def test_wrong_root_is_refused():
    error = refused_quickly(sample("wrong_root.xml"))

    assert error.message == "The root element is <leads>; an ADF document starts with <adf>."


def test_document_without_prospects_is_refused():
    error = refused_quickly(sample("no_prospects.xml"))

    assert error.message == "The ADF document contains no prospect."


def test_more_prospects_than_the_limit_is_refused():
    document = "<adf>" + minimal_prospect() * 4 + "</adf>"

    error = refused_quickly(document, max_prospects=3)

    assert error.message == "The ADF document contains 4 prospects; at most 3 are accepted at once."
    assert len(parse_adf(document, max_prospects=4).prospects) == 4


def test_default_prospect_limit_is_500():
    with pytest.raises(AdfError, match="501 prospects"):
        parse_adf("<adf>" + minimal_prospect() * 501 + "</adf>")
    assert len(parse_adf("<adf>" + minimal_prospect() * 500 + "</adf>").prospects) == 500


def test_adf_error_is_an_application_error_with_a_stable_code():
    assert issubclass(AdfError, ApplicationError)
    assert (AdfError.code, AdfError.status) == ("invalid_adf", 400)
    assert str(AdfError().message) == "The ADF lead document is invalid."
