"""What the store rooms' test modules share: one synthetic household and a raw SQL peek."""
from __future__ import annotations

from storage import Store

HOUSEHOLD = {"head_name": "Тарас Вигаданий", "phone": "+380 67 000 11 22", "id_number": "КН 000111", "members": 4}


def raw(store: Store, sql: str, *args):
    return store._conn.execute(sql, args).fetchall()
