"""Normalisation, step by step, and its properties."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.moderation.checks import text_check
from parley.moderation.normalize import text_normalize
from parley.moderation.tests.corpus import corpus_load


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        # NFKC: full-width and circled digits, the full-width @
        ("０５３２ ①②", "0532 12"),
        ("info＠shop.com", "info@shop.com"),
        # zero-width and direction characters removed
        ("05\u200b32\u200d441\u202e22\ufeff98", "05324412298"),
        # letters of other scripts that look Latin: Cyrillic, Greek, small capitals
        ("О5З2 441 аррle", "0532 441 apple"),
        ("ᴊᴏʜɴ", "john"),
        ("٠٥٣٢", "0532"),
        # Turkish case folding: İ, I and ı all meet on i; accents folded
        ("İNSTAGRAM ınstagram Instagram", "instagram instagram instagram"),
        ("Şişe çiçek ĞÜÖ", "sise cicek guo"),
        # number words, Turkish and English, once three or more run together
        ("sıfır beş yüz otuz iki", "0 532"),
        ("kırk beş altmış yedi iki", "45 67 2"),
        ("zero five three two", "0 5 3 2"),
        ("double four one", "4 4 1"),
        ("five thirty two hundred", "5 32 100"),
        ("bir iki gün", "bir iki gun"),
        ("on bir tane", "on bir tane"),
        ("one or two days", "one or two days"),
        # letters o and l standing for digits amid digits
        ("O532 l23 45 67", "0532 123 45 67"),
        # spaced-out letters joined
        ("W h a t s a p p", "whatsapp"),
        ("T R 3 3 0 0", "tr3300"),
        # address spellings
        ("ayse[at]gmail[dot]com", "ayse@gmail.com"),
        ("ayse (at) hotmail (nokta) com", "ayse@hotmail.com"),
        ("ayse at gmail dot com", "ayse@gmail.com"),
        ("mike . jones @ hotmail . com", "mike . jones@hotmail.com"),
        ("site nokta com", "site.com"),
        # what must stay as it is
        ("Fiyat 1.250,00 TL, 30.11.2026 14:30", "fiyat 1.250,00 tl, 30.11.2026 14:30"),
        ("meet at 5 pm", "meet at 5 pm"),
        ("follow @shop_name", "follow @shop_name"),
    ],
)
def test_normalise(text, normalised):
    assert text_normalize(text) == normalised


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_normalisation_never_raises_and_returns_text(text):
    assert isinstance(text_normalize(text), str)
    assert isinstance(text_check(text), list)


_corpus = corpus_load()
_detected = [s.text for s in _corpus if s.kind is not None and text_check(s.text)]
_innocent = [s.text for s in _corpus if s.kind is None]


@settings(max_examples=200, deadline=None)
@given(
    message=st.sampled_from(_detected),
    before=st.lists(st.sampled_from(_innocent), max_size=4),
    after=st.lists(st.sampled_from(_innocent), max_size=4),
    joiner=st.sampled_from([" ", "\n", "\n\n", ". ", " — "]),
)
def test_a_detected_message_stays_detected_when_padded_with_innocent_text(
    message, before, after, joiner
):
    padded = joiner.join([*before, message, *after])
    assert text_check(padded), padded
