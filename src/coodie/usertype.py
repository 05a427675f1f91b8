"""Upstream import path ``coodie.usertype``: user-defined types live in :mod:`coodie.model.usertype`."""

from __future__ import annotations

from coodie.model.usertype import UserType as UserType
from coodie.model.usertype import extract_udt_classes as extract_udt_classes
from coodie.model.usertype import udt_dependencies as udt_dependencies
