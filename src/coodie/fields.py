"""Upstream import path ``coodie.fields``; the field markers moved to :mod:`coodie.model.fields`."""

from __future__ import annotations

from coodie.model.fields import Ascii as Ascii
from coodie.model.fields import BigInt as BigInt
from coodie.model.fields import ClusteringKey as ClusteringKey
from coodie.model.fields import Counter as Counter
from coodie.model.fields import CqlTypeOverride as CqlTypeOverride
from coodie.model.fields import Discriminator as Discriminator
from coodie.model.fields import Double as Double
from coodie.model.fields import Duration as Duration
from coodie.model.fields import Frozen as Frozen
from coodie.model.fields import Indexed as Indexed
from coodie.model.fields import PrimaryKey as PrimaryKey
from coodie.model.fields import SmallInt as SmallInt
from coodie.model.fields import Static as Static
from coodie.model.fields import Time as Time
from coodie.model.fields import TimeUUID as TimeUUID
from coodie.model.fields import TinyInt as TinyInt
from coodie.model.fields import VarInt as VarInt
from coodie.model.fields import Vector as Vector
from coodie.model.fields import VectorIndex as VectorIndex
