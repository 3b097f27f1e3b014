"""Each detector's rule and its exceptions, through the one entry point."""

import socket

import pytest

from parley.moderation import detectors
from parley.moderation.checks import Rules, finding_kinds, forbidden_words_compile, text_check


def kinds(text: str, rules: Rules | None = None) -> list[str]:
    return finding_kinds(text_check(text, rules=rules))


# --- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0532 441 22 98",
        "+90 532 441 22 98",
        "0090 532 441 22 98",
        "(0212) 555 12 34",
        "5324412298",
        "0*5*3*2*4*4*1*2*2*9*8",
        "444 0 123",
        "+44 20 7946 0958",
    ],
)
def test_valid_phone_numbers_are_found(text):
    assert kinds(text) == ["phone"]


@pytest.mark.parametrize(
    "text",
    [
        "0532 441 22",  # too short
        "0132 441 22 98",  # no such area code
        "1234567890",
        "+44 20 7946",
        "Sipariş no 3481234567",  # a valid landline, but labelled as an order number
        "takip numarası 2161234567",
        "barkod 8690632012346",
        "8690632012346",  # an EAN-13 with a valid check digit
        "30.11.2026 14:30",
        "1.250,00 TL",
        "42 numara",
    ],
)
def test_what_is_not_a_phone_number(text):
    assert kinds(text) == []


def test_a_label_does_not_hide_a_mobile_number_written_with_its_trunk_prefix():
    assert kinds("sipariş no 05324412298") == ["phone"]
    assert kinds("order number +90 532 441 22 98") == ["phone"]


def test_the_phone_region_is_a_rule():
    assert kinds("(415) 555-2671") == []
    assert kinds("(415) 555-2671", Rules(phone_region="US")) == ["phone"]


# --- links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "www.example.com.tr",
        "https://shop.example.org/x",
        "hxxps://discount.net/offer",
        "bakın ucuzhali.com",
        "bit.ly/abc",
        "see example dot com",
    ],
)
def test_links_are_found(text):
    assert kinds(text) == ["link"]


@pytest.mark.parametrize(
    "text", ["Thanks.Is it ok?", "bitti.Bu arada", "1.250,00", "v2.5 model", "e.g. this one"]
)
def test_what_is_not_a_link(text):
    assert kinds(text) == []


def test_the_shops_own_domains_are_allowed_and_shorteners_never():
    rules = Rules(allowed_domains=("parley.example", "bit.ly"))
    assert kinds("https://www.parley.example/p/1 ve shop.parley.example", rules) == []
    assert kinds("bit.ly/abc", rules) == ["link"]
    assert kinds("www.other.example.com", rules) == ["link"]


def test_the_public_suffix_list_is_read_from_the_package_never_fetched(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    detectors._public_suffixes.cache_clear()
    assert kinds("www.example.com.tr") == ["link"]
    assert kinds("example.notarealsuffix") == []


# --- IBANs, e-mail, messaging ----------------------------------------------------------------


def test_an_iban_needs_its_checksum():
    assert kinds("TR33 0006 1005 1978 6457 8413 26") == ["iban"]
    assert kinds("GB29 NWBK 6016 1331 9268 19") == ["iban"]
    assert kinds("TR34 0006 1005 1978 6457 8413 26") == []
    assert kinds("33 0006 1005 1978 6457 8413 26") == ["iban"]  # TR left out


@pytest.mark.parametrize(
    "text",
    ["ayse@gmail.com", "ayse@gmail", "info@magaza.com.tr", "ali [at] firma [dot] net"],
)
def test_email_addresses_are_found(text):
    assert kinds(text) == ["email"]


def test_an_at_sign_between_numbers_is_not_an_email():
    assert kinds("2 adet @ 50 TL") == []


@pytest.mark.parametrize(
    "text",
    ["WhatsApp'tan yazın", "telegram kanalı", "İNSTAGRAM", "vatsap", "@shop_name", "wp den yaz"],
)
def test_messaging_apps_and_handles_are_found(text):
    assert kinds(text) == ["messaging"]


# --- forbidden words -------------------------------------------------------------------------


def test_forbidden_words_match_whole_words_folded_like_the_text():
    pattern = forbidden_words_compile(["İçki", "kapora", "cash only"])
    rules = Rules(forbidden_words=pattern)
    assert kinds("ICKI var mı", rules) == ["forbidden_word"]
    assert kinds("kapora gönderin", rules) == ["forbidden_word"]
    assert kinds("CASH   ONLY please", rules) == ["forbidden_word"]
    assert kinds("kaporasız", rules) == []
    assert kinds("cash is fine", rules) == []


def test_no_forbidden_words_compile_to_nothing():
    assert forbidden_words_compile([]) is None
    assert forbidden_words_compile(["  ", ""]) is None


def test_findings_name_a_kind_and_a_span_never_the_text():
    [finding] = text_check("ara 0532 441 22 98")
    assert (finding.kind, finding.start, finding.end) == ("phone", 4, 18)
    assert not hasattr(finding, "text")
