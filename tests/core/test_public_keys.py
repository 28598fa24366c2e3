"""Public endpoints' shared parts: the caller's address behind the configured proxies, and the windows."""

from django.test import RequestFactory

from crm.core.public_keys import client_ip, key_hash, key_new, key_plausible


def test_behind_one_proxy_the_caller_is_the_address_the_proxy_saw_not_what_the_caller_wrote(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "203.0.113.9"  # "6.6.6.6" is the caller's own claim


def test_without_proxies_the_caller_is_the_connection_and_forwarded_headers_are_ignored(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 0
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "198.51.100.7"


def test_a_key_is_stored_only_as_its_hash_and_an_absurd_one_is_not_looked_up():
    key, digest = key_new()
    assert digest == key_hash(key) and key not in digest
    assert key_plausible(key) and not key_plausible("") and not key_plausible("x" * 201)
