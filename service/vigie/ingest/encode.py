"""Table batches encoded as ClickHouse ``Native`` blocks, in compiled code.

The write queue hands the store encoded bytes instead of Python values: clickhouse-connect's
pure-Python Native serializer (LowCardinality dictionaries, maps, arrays built value by value)
cost about as much CPU as the engine's own insert, all of it under the GIL the receiver's
decoding needs too. clickhouse-connect's optional compiled codec (the ``clickhouse-connect-core``
wheel, ``clickhouse-connect[rust]``) encodes the same block several times faster; the engine
then parses it in C++ (:meth:`vigie.store.Store.insert_raw`).
"""

from __future__ import annotations

from collections.abc import Sequence

# The compiled codec clickhouse-connect itself uses for its "rust" native_codec; its chdb client
# does not offer that option, so the block is built here and inserted raw.
from _ch_core import encode_native_block

from vigie.ingest.rows import TableBatch

NATIVE = "Native"


def encode_native(batch: TableBatch, types: Sequence[str]) -> bytes:
    """``batch`` as one Native block; ``types[i]`` is the ClickHouse type of ``columns[i]``.

    Raises ``ValueError`` naming the column and row of a value the type cannot hold (wrong
    Python type, out of range, ``None`` in a non-Nullable column, text that is not UTF-8).
    """
    if len(types) != len(batch.columns):
        raise ValueError(f"{batch.table}: {len(batch.columns)} columns but {len(types)} types")
    block: bytes = encode_native_block(
        list(batch.columns), list(types), batch.data, batch.rows, None
    )
    return block
