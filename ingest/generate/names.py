"""Plausible names of people and businesses in Kota Baubau (Buton and common Indonesian names).

Butonese names often carry the prefix ``La`` (men) or ``Wa`` (women), and ``La Ode``/``Wa Ode``
for descendants of the Buton nobility; many residents carry common Indonesian (often Muslim)
names without a prefix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

MALE = (
    "Ahmad", "Muhammad", "Abdul Rahman", "Hasan", "Husain", "Syamsul", "Rusdin", "Sarifudin",
    "Hamid", "Kasim", "Ali", "Basri", "Jufri", "Anwar", "Amiruddin", "Safiuddin", "Arif", "Herman",
    "Nasrun", "Rahmat", "Sukri", "Taufik", "Yusuf", "Zainal", "Hamiru", "Madi", "Mursalim",
    "Sahidin", "Samsudin", "Hasrul",
)
FEMALE = (
    "Siti", "Nurhayati", "Hasna", "Aminah", "Nurlina", "Halimah", "Sitti Rahma", "Ramlah",
    "Hadijah", "Asniati", "Nurjannah", "Rosmiati", "Sartina", "Suriani", "Wahida", "Fatimah",
    "Marlina", "Salmia", "Darmawati", "Ratna", "Rosmini", "Sumarni", "Sinta", "Jumiati",
)
FAMILY = (
    "Sabri", "Rasyid", "Hafid", "Saleh", "Malik", "Manarfa", "Karim", "Salim", "Idrus", "Syukur",
    "Haris", "Ramli", "Ahmadi", "Effendi", "Kadir", "Hamzah", "Gafur", "Djamil", "Sanusi", "Tahir",
)
PLACE_WORDS = (
    "Wolio", "Kamali", "Buton", "Bahari", "Nirwana", "Sinar Baru", "Jaya", "Lakeba", "Samudra",
    "Anoa", "Mutiara", "Teluk", "Benteng", "Kotamara", "Baruga", "Sentosa", "Wameo", "Lestari",
    "Pelangi", "Bintang", "Mawar", "Melati", "Sejahtera", "Barakati", "Palagimata", "Batara",
    "Keraton", "Bukit Asri", "Dua Saudara", "Sultan",
)
COMPANY_WORDS = ("Abadi", "Mandiri", "Perkasa", "Utama", "Sejahtera", "Jaya", "Makmur", "Lestari")

_PREFIXES = ("La Ode ", "La ", "", "Wa Ode ", "Wa ", "")
_PREFIX_SHARES = (0.15, 0.25, 0.60)
_FAMILY_SHARE = 0.55


def pick(values: Sequence[str], index: np.ndarray) -> pl.Series:
    """``values[index]`` as a string Series, vectorised."""
    return pl.Series(values, dtype=pl.String).gather(index)


def person_names(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` personal names such as "La Ode Hamid Sabri", "Wa Nurlina" or "Muhammad Saleh"."""
    male = rng.random(n) < 0.5
    prefix = rng.choice(len(_PREFIX_SHARES), n, p=_PREFIX_SHARES) + np.where(male, 0, len(_PREFIX_SHARES))
    given = np.where(male, rng.integers(0, len(MALE), n), len(MALE) + rng.integers(0, len(FEMALE), n))
    family = pick(FAMILY, rng.integers(0, len(FAMILY), n))
    has_family = pl.Series(rng.random(n) < _FAMILY_SHARE)
    parts = pl.DataFrame({"prefix": pick(_PREFIXES, prefix), "given": pick(MALE + FEMALE, given), "family": family})
    return parts.select(
        pl.concat_str(
            pl.col("prefix"),
            pl.col("given"),
            pl.when(has_family).then(pl.lit(" ") + pl.col("family")).otherwise(pl.lit("")),
        )
    ).to_series()


def business_names(rng: np.random.Generator, kinds: Sequence[str], n: int) -> pl.Series:
    """``n`` business names: one of ``kinds`` ("Rumah Makan", "Hotel", …) and a local word."""
    kind = pick(kinds, rng.integers(0, len(kinds), n))
    word = pick(PLACE_WORDS, rng.integers(0, len(PLACE_WORDS), n))
    return pl.DataFrame({"kind": kind, "word": word}).select(pl.concat_str("kind", "word", separator=" ")).to_series()


def company_names(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` registered company names such as "CV Wolio Mandiri" or "PT Bahari Jaya"."""
    form = pick(("PT", "CV"), rng.integers(0, 2, n))
    word = pick(PLACE_WORDS, rng.integers(0, len(PLACE_WORDS), n))
    suffix = pick(COMPANY_WORDS, rng.integers(0, len(COMPANY_WORDS), n))
    parts = pl.DataFrame({"form": form, "word": word, "suffix": suffix})
    return parts.select(pl.concat_str("form", "word", "suffix", separator=" ")).to_series()
