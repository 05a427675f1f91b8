"""Upstream import path ``coodie.usertype``: the UDT model lives in :mod:`coodie.model.usertype`,
``UserType`` (which can create its type) in :mod:`coodie.operations.usertype`."""

from __future__ import annotations

from coodie.model.types import udt_dependencies as udt_dependencies
from coodie.model.usertype import extract_udt_classes as extract_udt_classes
from coodie.operations.usertype import UserType as UserType
