"""Free-text search over cases (案件检索): what a staff search box's words match.

The rule is one: a case matches when its description or its place contains the words, case
ignored. On PostgreSQL a million cases are not scanned for it: each case keeps the set of
two-character pieces (bigrams) of its lower-cased description and place in
`intake_case.search_bigrams`, a column the database itself computes (`intake_text_bigrams`,
migration 0008_case_text_search_bigrams) under a GIN index. Every bigram of the words must be
among a case's, which the index answers; for longer words a containment check then drops
cases that have the pieces but not the phrase. Bigrams, not pg_trgm's trigrams, because
Chinese queries are often two characters ("工资", "噪音"), which no trigram covers. A
one-character query has no bigram and is a plain scan. SQLite (the embedded default) always
scans.
"""

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

BIGRAM = 2


def text_condition(words: str) -> Q:
    """The cases whose description or place contains `words` (already stripped, non-empty)."""
    contains = Q(description__icontains=words) | Q(place_label__icontains=words)
    if connection.vendor != "postgresql" or len(words) < BIGRAM:
        return contains
    has_every_bigram = RawSQL(
        '"intake_case"."search_bigrams" @> intake_text_bigrams(%s)',
        (words,),
        output_field=BooleanField(),
    )
    if len(words) == BIGRAM:
        # The one bigram is the words: nothing to check after the index. Leaving the check
        # out also lets the planner count the matches from the column's statistics (it
        # cannot for a LIKE) and read a common term's newest cases by date instead.
        return Q(has_every_bigram)
    return Q(has_every_bigram) & contains
