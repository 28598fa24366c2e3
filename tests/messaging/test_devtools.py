"""The development peers (crm/messaging/devtools), each run as a real process the way the product and the
integration tests use them."""

import email
import hashlib
import hmac
import json
import smtplib
import subprocess
import sys
from email import policy
from email.message import EmailMessage

import pytest

from tests.messaging.peers import (
    DEVTOOLS,
    REPOSITORY,
    SMS_API_KEY,
    recording_http_server,
    request,
    reset,
    sms_simulator_process,
    smtp_sink_process,
    start_sms_simulator,
    stats,
    wait_until,
)

AUTHORIZED = {"Authorization": f"Bearer {SMS_API_KEY}"}
RECEIPT_SECRET = "receipt-secret"


@pytest.fixture(scope="module")
def simulator_url():
    with sms_simulator_process() as url:
        yield url


@pytest.fixture
def sms(simulator_url):
    reset(simulator_url)
    return simulator_url


def submit(url, payload, headers=AUTHORIZED):
    return request("POST", f"{url}/v1/messages", payload, headers=headers)


def test_simulator_resubmission_with_same_client_ref_is_one_message(sms):
    payload = {"to": "+8613800138000", "body": "您的车已保养完毕", "client_ref": "outbox-1"}

    first_status, first = submit(sms, payload)
    second_status, second = submit(sms, payload)

    assert (first_status, second_status) == (200, 200)
    assert first["id"].startswith("SM")
    assert (first["duplicate"], second["duplicate"]) == (False, True)
    assert second["id"] == first["id"]
    counts = stats(sms)
    assert (counts["messages"], counts["submissions"], counts["duplicates"]) == (1, 2, 1)
    assert counts["by_to"] == {"+8613800138000": 1}


def test_simulator_refuses_a_client_ref_reused_for_another_text(sms):
    submit(sms, {"to": "+8613800138000", "body": "one", "client_ref": "outbox-2"})

    status, answer = submit(sms, {"to": "+8613800138000", "body": "two", "client_ref": "outbox-2"})

    assert (status, answer) == (409, {"error": "client_ref_conflict"})
    assert stats(sms)["messages"] == 1


def test_simulator_answers_401_to_a_wrong_key_and_records_nothing(sms):
    payload = {"to": "+8613800138000", "body": "hi", "client_ref": "outbox-3"}

    wrong_key = submit(sms, payload, headers={"Authorization": "Bearer wrong"})
    no_key = submit(sms, payload, headers={})
    lookup = request(
        "GET", f"{sms}/v1/messages?client_ref=outbox-3", headers={"Authorization": "Bearer wrong"}
    )

    assert [wrong_key[0], no_key[0], lookup[0]] == [401, 401, 401]
    counts = stats(sms)
    assert (counts["messages"], counts["unauthorized"]) == (0, 2)


@pytest.mark.parametrize(
    "number", ["13800138000", "+86138", "+861380013800012345", "+86 138 0013 8000", "+8613800130000"]
)
def test_simulator_rejects_invalid_and_unreachable_numbers(sms, number):
    status, answer = submit(sms, {"to": number, "body": "hi", "client_ref": "outbox-4"})

    assert (status, answer) == (400, {"error": "invalid_number"})
    assert stats(sms)["messages"] == 0


def test_simulator_rejects_an_empty_text(sms):
    status, answer = submit(sms, {"to": "+8613800138000", "body": "  ", "client_ref": "outbox-5"})

    assert (status, answer) == (400, {"error": "empty_body"})
    assert (stats(sms)["messages"], stats(sms)["rejected"]) == (0, 1)


def test_simulator_is_unavailable_for_numbers_ending_5030_and_records_nothing(sms):
    payload = {"to": "+8613800135030", "body": "hi", "client_ref": "outbox-6"}

    assert submit(sms, payload)[0] == 503
    assert submit(sms, payload)[0] == 503
    assert request("GET", f"{sms}/v1/messages?client_ref=outbox-6", headers=AUTHORIZED)[0] == 404
    counts = stats(sms)
    assert (counts["messages"], counts["unavailable"]) == (0, 2)


def test_simulator_finds_an_accepted_message_by_id_and_by_client_ref(sms):
    _, accepted = submit(sms, {"to": "+8613800138000", "body": "到店提醒", "client_ref": "outbox-7"})

    by_id = request("GET", f"{sms}/v1/messages/{accepted['id']}", headers=AUTHORIZED)
    by_ref = request("GET", f"{sms}/v1/messages?client_ref=outbox-7", headers=AUTHORIZED)
    unknown = request("GET", f"{sms}/v1/messages?client_ref=never-sent", headers=AUTHORIZED)

    assert by_id == by_ref
    status, record = by_ref
    assert status == 200
    assert record["id"] == accepted["id"]
    assert (record["to"], record["body"], record["client_ref"]) == ("+8613800138000", "到店提醒", "outbox-7")
    assert record["status"] in ("accepted", "delivered") and record["submitted_at"].endswith("Z")
    assert unknown[0] == 404


def test_simulator_fails_a_share_of_submissions_before_recording_them():
    with sms_simulator_process(fail_5xx_rate=1.0) as url:
        status, _ = submit(url, {"to": "+8613800138000", "body": "hi", "client_ref": "outbox-8"})

        assert status == 503
        assert stats(url)["messages"] == 0


def signature_of(body: bytes) -> str:
    return hmac.new(RECEIPT_SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_simulator_posts_signed_receipts_delivered_and_failed():
    with (
        recording_http_server() as receiver,
        sms_simulator_process(
            receipt_url=f"{receiver.url}/receipts", receipt_secret=RECEIPT_SECRET, receipt_delay_ms=(20, 50)
        ) as url,
    ):
        _, delivered = submit(url, {"to": "+8613800138000", "body": "hi", "client_ref": "outbox-9"})
        _, failed = submit(url, {"to": "+8613800134040", "body": "hi", "client_ref": "outbox-10"})

        wait_until(lambda: len(receiver.requests) == 2, timeout=5)
        receipts = {}
        for received in receiver.requests:
            assert received.path == "/receipts"
            assert hmac.compare_digest(received.headers["X-Signature"], signature_of(received.body))
            receipt = json.loads(received.body)
            receipts[receipt["client_ref"]] = receipt
        assert receipts["outbox-9"]["id"] == delivered["id"]
        assert receipts["outbox-9"]["status"] == "delivered" and "error" not in receipts["outbox-9"]
        assert receipts["outbox-10"]["id"] == failed["id"]
        assert receipts["outbox-10"]["status"] == "failed" and receipts["outbox-10"]["error"]
        assert receipts["outbox-10"]["to"] == "+8613800134040" and receipts["outbox-10"]["at"]
        _, record = request("GET", f"{url}/v1/messages/{failed['id']}", headers=AUTHORIZED)
        assert record["status"] == "failed"


def test_simulator_retries_a_receipt_the_receiver_refused():
    with (
        recording_http_server(statuses=(500,)) as receiver,
        sms_simulator_process(
            receipt_url=receiver.url, receipt_secret=RECEIPT_SECRET, receipt_delay_ms=(10, 20)
        ) as url,
    ):
        submit(url, {"to": "+8613800138000", "body": "hi", "client_ref": "outbox-11"})

        wait_until(lambda: stats(url)["receipts_sent"] == 1, timeout=5)
        first, second = receiver.requests
        assert first.body == second.body
        assert second.headers["X-Signature"] == signature_of(second.body)


def test_simulator_logs_accepted_messages_and_resumes_them_after_a_restart(tmp_path):
    log = tmp_path / "sms" / "messages.jsonl"
    payload = {"to": "+8613800138000", "body": "你好", "client_ref": "outbox-12"}
    simulator = start_sms_simulator(log_path=log, resume=True)
    try:
        _, first = submit(simulator.url, payload)
        submit(simulator.url, payload)
        simulator.kill()
        simulator.restart()

        status, again = submit(simulator.url, payload)
    finally:
        simulator.close()

    assert (status, again["id"], again["duplicate"]) == (200, first["id"], True)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(line["id"], line["body"]) for line in lines] == [(first["id"], "你好")]


def test_smtp_sink_keeps_a_utf8_multipart_mail_and_counts_it(tmp_path):
    mail = EmailMessage()
    mail["Subject"] = "保养预约确认"
    mail["From"] = "星辰汽车 <service@dealer.example>"
    mail["To"] = "张伟 <zhang.wei@example.com>"
    mail["Message-ID"] = "<outbox-42@crm.example>"
    mail["X-CRM-Outbox-Key"] = "outbox-key-42"
    mail.set_content("张先生您好：您的保养预约在 12 月 1 日上午 10 点。")
    mail.add_alternative("<p>张先生您好：<b>12 月 1 日上午 10 点</b></p>", subtype="html")

    with smtp_sink_process(tmp_path / "mail") as (smtp_port, url):
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as client:
            client.send_message(mail)
            client.send_message(mail, to_addrs=["zhang.wei@example.com", "用户@例子.广告"])
        counts = stats(url)
        listing_status, listing = request("GET", f"{url}/")
        (stored,) = sorted((tmp_path / "mail").glob("*.eml"))[:1]
        raw_status, raw = request("GET", f"{url}/{stored.name}")
        kept = email.message_from_bytes(stored.read_bytes(), policy=policy.default)
        reset(url)
        after_reset = stats(url)

    assert counts["messages"] == 2
    assert counts["by_rcpt"] == {"zhang.wei@example.com": 2, "用户@例子.广告": 1}
    assert counts["by_message_id"] == {"outbox-key-42": 2}
    assert counts["duplicates"] == 1
    assert listing_status == 200 and "保养预约确认" in listing
    assert raw_status == 200 and "outbox-key-42" in raw
    assert kept["Subject"] == "保养预约确认"
    assert "12 月 1 日" in kept.get_body(("plain",)).get_content()
    assert "<b>12 月 1 日上午 10 点</b>" in kept.get_body(("html",)).get_content()
    assert after_reset["messages"] == 0 and not list((tmp_path / "mail").glob("*.eml"))


def test_devtools_never_import_django():
    check = (
        "import sys; sys.path.insert(0, sys.argv[1]); import sms_simulator, smtp_sink; "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('django', 'crm', 'celery')], 'imported'"
    )

    subprocess.run([sys.executable, "-c", check, str(DEVTOOLS)], check=True, timeout=10)


def test_simulator_runs_as_a_module_of_the_project():
    process = subprocess.Popen(
        [sys.executable, "-m", "crm.messaging.devtools.sms_simulator", "--port", "0"],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        assert stats(url)["messages"] == 0
    finally:
        process.terminate()
        process.wait(5)
