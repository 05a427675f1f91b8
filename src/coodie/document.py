"""Upstream import path ``coodie.document``; the document operations moved to :mod:`coodie.operations.document`."""

from __future__ import annotations

from coodie.cql.operators import parse_assignments as parse_assignments
from coodie.cql.operators import parse_if_conditions as parse_if_conditions
from coodie.operations.document import D as D
from coodie.operations.document import DocumentBase as DocumentBase
