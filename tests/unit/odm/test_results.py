"""coodie.results: what the ODM's operations return."""

from coodie.results import LWTResult


def test_lwt_result_from_rows():
    assert LWTResult.from_rows([]) == LWTResult(True, None)
    assert LWTResult.from_rows([{"[applied]": True}]) == LWTResult(True, None)
    failed = LWTResult.from_rows([{"[applied]": False, "id": 1, "name": "x"}])
    assert failed == LWTResult(False, {"id": 1, "name": "x"})
    assert not failed
    assert LWTResult.from_rows([{"[applied]": True, "v": 2}]).existing == {"v": 2}
