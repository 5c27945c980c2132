"""Persian text folded for search: one spelling per letter, digit and word break.

Transcripts, typed queries and the topic lexicon all pass through `normalise_for_search`,
so «كتاب» typed on an Arabic keyboard finds «کتاب» in a transcript, «۱۲» finds «12», and
«می‌خواهم» (with a zero-width non-joiner) finds «می خواهم».  The folding is deliberately
lossy: it is for matching, never for showing text to people.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise_for_search", "search_terms"]

# Arabic letter forms and their Persian letters (Arabic keyboards, copied text, OCR).
_LETTERS = {
    "ي": "ی",  # ARABIC YEH
    "ى": "ی",  # ALEF MAKSURA
    "ئ": "ی",
    "ك": "ک",  # ARABIC KAF
    "ة": "ه",  # TEH MARBUTA
    "ە": "ه",  # AE: what NFKD leaves of ۀ (heh with yeh above, the ezafe on a final heh)
    "ھ": "ه",  # HEH DOACHASHMEE
    "ؤ": "و",
    "أ": "ا",
    "إ": "ا",
    "ٱ": "ا",
    "آ": "ا",  # alef madda: typed with and without the madda
}
# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits become ASCII digits.
_DIGITS = {chr(0x06F0 + d): str(d) for d in range(10)} | {
    chr(0x0660 + d): str(d) for d in range(10)
}
# Zero-width non-joiner / joiner, tatweel, bidi marks: word-internal breaks become spaces
# so «می‌خواهم» and «می خواهم» match; tatweel (kashida) is decoration.
_BREAKS = {"\u200c": " ", "\u200d": "", "\u0640": "", "\u200e": "", "\u200f": ""}
_TABLE = str.maketrans(_LETTERS | _DIGITS | _BREAKS)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def normalise_for_search(text: str) -> str:
    """Fold `text` to the spelling the search index holds (lower case, space-separated).

    Diacritics (fatha, kasra, damma, tanwin, shadda, sukun, superscript alef, hamza
    above/below) are removed; Arabic ی/ک/ه variants become Persian letters; Persian and
    Arabic-Indic digits become ASCII; ZWNJ and punctuation become word breaks.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    # NFKD splits presentation forms (ﻛ) and hamza-carrying letters (أ) into a base
    # letter and combining marks; dropping the marks removes every diacritic at once.
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = unicodedata.normalize("NFC", stripped).translate(_TABLE).casefold()
    return " ".join(_WORD.findall(folded))


def search_terms(text: str) -> list[str]:
    """The normalised words of `text`, in order (a query's phrase, a lexicon keyword)."""
    return normalise_for_search(text).split()
