"""``coodie.sync`` and ``coodie.aio`` offer the same API: the same names, the same
parameters — the asyncio side as coroutines. Both are thin facades over one
implementation; this keeps a new method from landing on one side only."""

import inspect

import pytest

import coodie.aio
import coodie.sync

#: names that differ by design, sync → aio
RENAMED = {"BatchQuery": "AsyncBatchQuery", "run_sync": "run_async"}
CLASSES = ("Document", "CounterDocument", "QuerySet")
#: methods each side defines itself that do no I/O (they return the side's own QuerySet)
NO_IO = {"find"}


def public(obj):
    return {n for n in dir(obj) if not n.startswith("_")}


def normalised(signature):
    text = str(signature)
    for sync_name, aio_name in RENAMED.items():
        text = text.replace(aio_name, sync_name)
    return text


def test_modules_export_the_same_names():
    sync_names = {RENAMED.get(n, n) for n in public(coodie.sync)}
    assert sync_names == public(coodie.aio)


@pytest.mark.parametrize("name", CLASSES)
def test_classes_have_the_same_methods_and_signatures(name):
    sync_cls, aio_cls = getattr(coodie.sync, name), getattr(coodie.aio, name)
    assert public(sync_cls) == public(aio_cls)
    for attr in sorted(public(sync_cls)):
        s, a = getattr(sync_cls, attr), getattr(aio_cls, attr)
        if not (callable(s) and callable(a)):
            continue
        assert normalised(inspect.signature(s)) == normalised(inspect.signature(a)), f"{name}.{attr}"


@pytest.mark.parametrize("name", CLASSES)
def test_what_does_io_is_a_coroutine_on_the_aio_side_only(name):
    sync_cls, aio_cls = getattr(coodie.sync, name), getattr(coodie.aio, name)
    for attr in sorted(public(sync_cls)):
        s, a = inspect.getattr_static(sync_cls, attr), inspect.getattr_static(aio_cls, attr)
        s, a = getattr(s, "__func__", s), getattr(a, "__func__", a)
        if inspect.iscoroutinefunction(a):
            assert not inspect.iscoroutinefunction(s), f"{name}.{attr} is a coroutine on the sync side"
        elif inspect.iscoroutinefunction(s):
            pytest.fail(f"{name}.{attr} is a coroutine on the sync side")
        elif s is not a and callable(s) and attr not in NO_IO:
            # a method each side defines itself must be the aio side's coroutine
            assert inspect.iscoroutinefunction(a), f"coodie.aio.{name}.{attr} should be async"


def test_module_functions_match_and_aio_ones_are_coroutines():
    for sync_name in sorted(public(coodie.sync)):
        s = getattr(coodie.sync, sync_name)
        a = getattr(coodie.aio, RENAMED.get(sync_name, sync_name))
        if inspect.isfunction(s) and s is not a and sync_name not in RENAMED:
            assert normalised(inspect.signature(s)) == normalised(inspect.signature(a)), sync_name
            assert inspect.iscoroutinefunction(a) and not inspect.iscoroutinefunction(s), sync_name


def test_iteration_is_blocking_on_one_side_and_async_on_the_other():
    assert hasattr(coodie.sync.QuerySet, "__iter__") and not hasattr(coodie.sync.QuerySet, "__aiter__")
    assert hasattr(coodie.aio.QuerySet, "__aiter__")
