"""The bigram index of free-text search on PostgreSQL (services/intake/search.py).

`intake_text_bigrams(text)` is the one definition of a text's bigrams: the distinct
two-character pieces of its lower-cased form. The column applies it to every case's
description and place (a generated column: every writer, the ORM or bulk SQL, keeps it
current), the query applies it to the searched words. SQLite gets nothing: it scans.

Cost: adding a stored generated column rewrites `intake_case` under an exclusive lock, then
the GIN index is built: on a large table, run it in a quiet hour. A later
change of the type of `description` or `place_label` must drop and re-add the column.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION intake_text_bigrams(words text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
    FROM (SELECT lower(words) AS t) lowered, generate_series(1, char_length(t) - 1) AS i
$$
"""
COLUMN = """
ALTER TABLE intake_case ADD COLUMN search_bigrams text[]
    GENERATED ALWAYS AS (intake_text_bigrams(description || E'\\n' || place_label)) STORED
"""
# search.py reads the planner's statistics of the column to tell common bigrams from rare
# ones: with the default target a bigram in one case in a thousand counts as "not listed"
# and is guessed at 0.5 %, which sends its search down every case by date.
STATISTICS = "ALTER TABLE intake_case ALTER COLUMN search_bigrams SET STATISTICS 1000"
INDEX = "CREATE INDEX case_search_bigrams ON intake_case USING gin (search_bigrams)"
DROP = [
    "DROP INDEX IF EXISTS case_search_bigrams",
    "ALTER TABLE intake_case DROP COLUMN IF EXISTS search_bigrams",
    "DROP FUNCTION IF EXISTS intake_text_bigrams(text)",
]


def _on_postgresql(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0010_configuration_history"),
    ]

    operations = [
        migrations.RunPython(
            _on_postgresql([FUNCTION, COLUMN, STATISTICS, INDEX]),
            _on_postgresql(DROP),
            elidable=False,
        ),
    ]
