"""What two or more backends share, written once, one module a kind.

* :mod:`.values`: building blocks of value converters (driver value ↔ canonical value);
* :mod:`.errors`: turning a driver's exception into coodie's;
* :mod:`.options`: checks of the connection options every backend reads in the same sense;
* :mod:`.tls`: the TLS options, read the same way by every backend that takes them;
* :mod:`.type_strings`: CQL type strings as ``system_schema`` stores them, parsed;
* :mod:`.loop_thread`: running an asyncio-only driver from blocking code and from any loop.

Like the backends, these import only the driver contract (:mod:`coodie.drivers.base`),
:mod:`coodie.support` and :mod:`coodie.exceptions`, never the ODM.
"""
