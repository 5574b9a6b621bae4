"""SQL for a version: marks that move on with every change to some records, read in one query.

Plain SQL rather than the ORM: compiling these nested subqueries took longer on every request
than answering a page from the cache. Each mark is an index lookup. Callers build their query
once per database vendor.
"""

from django.db import connection


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def newest(history, where: str = "") -> list[str]:
    """The newest row of a history table (its id and time), of the rows `where` picks."""
    # The id moves on with every change, even one saved by a server whose clock is behind; the
    # time tells apart the changes made after a database was restored from a backup, which
    # start again from ids already seen.
    return [
        f"SELECT MAX({column(history, name)}) FROM {table(history)}{where}"
        for name in ("history_id", "history_date")
    ]


def select(marks: list[str]) -> tuple[str, int]:
    """One query reading every mark, and how many parameters it takes."""
    sql = "SELECT " + ", ".join(f"({mark})" for mark in marks)
    return sql, sql.count("%s")


def read(sql: str, params: list) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())
