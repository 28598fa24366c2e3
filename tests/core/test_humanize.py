"""Durations and relative times in the largest sensible unit, and dates as each language writes them."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import formats, translation

from crm.core.humanize import duration_text, relative_text, weekday_date

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 17, 20, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("minutes", "english", "chinese"),
    [
        (0, "0 min", "0 分钟"),
        (1, "1 min", "1 分钟"),
        (119, "119 min", "119 分钟"),
        (120, "2 hours", "2 小时"),
        (61 * 60, "2 days", "2 天"),
        (47 * 60 + 59, "47 hours", "47 小时"),
        (6377, "4 days", "4 天"),
        (-6377, "4 days", "4 天"),
        (48 * 60 + 1, "2 days", "2 天"),
    ],
)
def test_a_duration_reads_in_its_largest_sensible_unit(minutes, english, chinese):
    with translation.override("en"):
        assert duration_text(minutes) == english
    with translation.override("zh-hans"):
        assert duration_text(minutes) == chinese


def test_six_thousand_minutes_ago_reads_four_days_ago():
    with translation.override("zh-hans"):
        assert relative_text(NOW - timedelta(minutes=6377), now=NOW) == "4 天前"
        assert relative_text(NOW + timedelta(hours=3), now=NOW) == "3 小时后"
        assert relative_text(NOW - timedelta(seconds=20), now=NOW) == "刚刚"
    with translation.override("en"):
        assert relative_text(NOW - timedelta(minutes=6377), now=NOW) == "4 days ago"
        assert relative_text(NOW - timedelta(minutes=1), now=NOW) == "1 min ago"


def test_a_dated_heading_has_the_weekday_in_each_languages_order():
    with translation.override("zh-hans"):
        assert weekday_date(date(2026, 12, 3)) == "12月3日 周四"
    with translation.override("en"):
        assert weekday_date(date(2026, 12, 3)) == "Thursday, 3 December"


def test_chinese_dates_are_written_the_chinese_way_not_as_translated_english_patterns():
    moment = NOW
    page = Template(
        '{% load display %}{{ moment|date:"DATE_FORMAT" }}|{{ moment|date:"SHORT_DATETIME_FORMAT" }}|'
        '{{ moment|date:"MONTH_DAY_FORMAT" }}|{{ moment|weekday_date }}'
    )
    with translation.override("zh-hans"):
        assert (
            page.render(Context({"moment": moment}))
            == "2026年12月3日|2026年12月3日 17:20|12月3日|12月3日 周四"
        )
    with translation.override("en"):
        assert (
            page.render(Context({"moment": moment}))
            == "3 December 2026|3 Dec 2026, 17:20|3 December|Thursday, 3 December"
        )


def test_every_language_we_ship_has_its_own_date_formats():
    for code, _name in settings.LANGUAGES:
        modules = [module.__name__ for module in formats.get_format_modules(code)]
        assert any(name.startswith("crm.core.formats.") for name in modules), code


def test_no_template_hard_codes_an_english_date_pattern():
    """Dates go through the named formats (or the display filters), never "D j M" or "l j F". ISO forms for
    machines ("Y", "Y-m" for a month in a query string, "Y-m-d") are not display."""
    import re
    from pathlib import Path

    pattern = re.compile(r"""(\|date:|\{% now )["'](?![A-Z_]+_FORMAT["'])(?!Y["'])(?!Y-m["'])(?!Y-m-d["'])[^"']*["']""")
    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in root.rglob("*.html")
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_duration_filter_takes_minutes_or_hours():
    page = Template(
        '{% load display %}{{ minutes|duration }}|{{ hours|duration:"hours" }}|{{ none|duration }}'
    )
    with translation.override("zh-hans"):
        assert page.render(Context({"minutes": 6377, "hours": 12.5, "none": None})) == "4 天|12 小时|"
