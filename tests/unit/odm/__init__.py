"""Unit tests of the ODM, one file per module: plans run over a fake driver, no node."""
