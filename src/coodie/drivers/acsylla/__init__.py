"""Backend over acsylla (asyncio bindings of the ScyllaDB C++ driver).

One module a job:

* :mod:`.lib`: acsylla itself, imported with an install hint;
* :mod:`.driver`: :class:`AcsyllaDriver`, the contract over an acsylla session
  on its own event loop, with the column-type cache its results need;
* :mod:`.values`: acsylla's values read back as canonical ones;
* :mod:`.params`: canonical values bound as acsylla wants them;
* :mod:`.statements`: what a statement's text says about the schema;
* :mod:`.errors`: acsylla's exceptions as coodie's;
* :mod:`.connect`: connection options and :func:`create` / :func:`create_async`.

The CQL type strings of ``system_schema`` are parsed by the shared
:mod:`coodie.drivers._shared.type_strings`.
"""

from __future__ import annotations

from coodie.drivers._shared.type_strings import CqlT, parse_type
from coodie.drivers.acsylla.connect import cluster_kwargs, create, create_async
from coodie.drivers.acsylla.driver import SCHEMA_TIMEOUT, AcsyllaDriver
from coodie.drivers.acsylla.errors import translate_error
from coodie.drivers.acsylla.params import FLOAT_VECTOR, PLAIN, VARINT, adapt
from coodie.drivers.acsylla.statements import table_of
from coodie.drivers.acsylla.values import (
    DECIMAL_REFUSED,
    bytes_to_varint,
    decoder,
    parse_duration,
    varint_to_bytes,
)

__all__ = [
    "DECIMAL_REFUSED",
    "FLOAT_VECTOR",
    "PLAIN",
    "SCHEMA_TIMEOUT",
    "VARINT",
    "AcsyllaDriver",
    "CqlT",
    "adapt",
    "bytes_to_varint",
    "cluster_kwargs",
    "create",
    "create_async",
    "decoder",
    "parse_duration",
    "parse_type",
    "table_of",
    "translate_error",
    "varint_to_bytes",
]
