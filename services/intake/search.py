"""Free-text search over cases (案件检索): what a staff search box's words match.

The rule is one: a case matches when its description or its place contains the words, case
ignored. On PostgreSQL a million cases are not scanned for it: each case keeps the set of
two-character pieces (bigrams) of its lower-cased description and place in
`intake_case.search_bigrams`, a column the database itself computes (`intake_text_bigrams`,
migration 0008_case_text_search_bigrams) under a GIN index. Every bigram of the words must be
among a case's; the index answers for the rarest of them, then the phrase itself is
checked. Bigrams, not pg_trgm's trigrams, because Chinese queries are often two characters
("工资", "噪音"), which no trigram covers. A one-character query has no bigram and is a plain
scan. SQLite (the embedded default) always scans.
"""

import json

from django.db import connection, connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

BIGRAM = 2

# The bigram of the words fewest cases hold, by the column's statistics (ANALYZE keeps the
# most common ones with their frequencies; one not listed is rarer than all of them).
RAREST_BIGRAM = """
SELECT b, common.f FROM unnest(intake_text_bigrams(%s)) AS b
LEFT JOIN (
    SELECT unnest(most_common_elems::text::text[]) AS e, unnest(most_common_elem_freqs) AS f
    FROM pg_stats
    WHERE schemaname = current_schema() AND tablename = 'intake_case'
      AND attname = 'search_bigrams'
) AS common ON common.e = b
ORDER BY coalesce(common.f, 0), b
LIMIT 1
"""


def text_condition(words: str) -> Q:
    """The cases whose description or place contains `words` (already stripped, non-empty)."""
    if connection.vendor != "postgresql" or len(words) < BIGRAM:
        return _contains(words)
    if len(words) == BIGRAM:
        # The one bigram is the words: nothing to check after the index, and the planner
        # counts the matches from the column's statistics, so a common term's newest cases
        # are read by date rather than all of them through the index.
        return Q(_sql('"intake_case"."search_bigrams" @> intake_text_bigrams(%s)', words))
    with connection.cursor() as cursor:
        cursor.execute(RAREST_BIGRAM, [words])
        rarest, frequency = cursor.fetchone()
    # The index finds the cases holding the rarest bigram; the phrase is then checked. Not
    # every bigram through the index: the planner would multiply their frequencies as if
    # independent ("水泵", "泵噪", "噪音" are not) and, expecting a handful, read all of a
    # common phrase's cases to sort them (seconds at a million).
    holds_rarest = Q(_sql('"intake_case"."search_bigrams" @> ARRAY[%s]::text[]', rarest))
    if frequency is None:  # a rare bigram: few candidates, read them all through the index
        return holds_rarest & _contains(words)
    # A common one: the check must not look selective (a LIKE's fixed guess does), so that
    # the newest cases are read by date until a page is full. The newline joins description
    # and place as the column does: no phrase spans it.
    return holds_rarest & Q(
        _sql(
            'strpos(lower("intake_case"."description" || E\'\\n\''
            ' || "intake_case"."place_label"), lower(%s)) > 0',
            words,
        )
    )


def planned_rows(queryset: QuerySet) -> int | None:
    """How many rows PostgreSQL's planner expects `queryset` to return, from its statistics
    (nothing is read); None on other databases.

    Counting a common term's matches exactly reads every one of them from the table (the
    index knows the words, not the tenant or the department): seconds at a million cases,
    where the estimate takes a millisecond.
    """
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _contains(words: str) -> Q:
    return Q(description__icontains=words) | Q(place_label__icontains=words)


def _sql(condition: str, param: str) -> RawSQL:
    # Constant SQL from this module; the words travel as a parameter.
    return RawSQL(condition, (param,), output_field=BooleanField())  # noqa: S611
