"""Small generic pieces every layer may use: the ODM, the backends and the native driver.

Nothing here does I/O or imports another part of coodie except its exceptions,
so ``coodie.native`` can share them without depending on ``coodie.drivers``.
"""
