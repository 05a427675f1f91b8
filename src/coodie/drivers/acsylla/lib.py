"""acsylla itself, imported once: a missing package fails with the extra to install.

The other modules reach the package as ``lib.acsylla`` (and its exceptions as
``lib.errors``) at call time, so a test puts a fake in one place.
"""

from __future__ import annotations

from typing import Any

from coodie.drivers._guard import require

acsylla: Any = require("acsylla", driver_type="acsylla", extra="acsylla", package="acsylla")
errors: Any = require("acsylla.errors", driver_type="acsylla", extra="acsylla", package="acsylla")
