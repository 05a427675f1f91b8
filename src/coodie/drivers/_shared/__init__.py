"""What two or more backends share, written once, one module a kind.

* :mod:`.values`: building blocks of value converters (driver value ↔ canonical value);
* :mod:`.errors`: turning a driver's exception into coodie's;
* :mod:`.options`: the connection options every backend reads in the same sense, and their checks;
* :mod:`.tls`: the TLS options, read the same way by every backend that takes them;
* :mod:`.capabilities`: a backend's capabilities, declared by what it lacks and why;
* :mod:`.type_strings`: CQL type strings as ``system_schema`` stores them, parsed;
* :mod:`.two_way`: a driver whose requests are written once and run blocking or awaited;
* :mod:`.futures`: such requests written as steps over futures that can be waited on or awaited;
* :mod:`.loop_thread`: running an asyncio-only driver from blocking code and from any loop.

The driver package itself is imported through :mod:`coodie.drivers._guard`, which
also tells its installed version.

Like the backends, these import only the driver contract (:mod:`coodie.drivers.base`),
:mod:`coodie.support` and :mod:`coodie.exceptions`, never the ODM.
"""
