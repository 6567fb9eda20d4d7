"""The test clients' own checks: a protocol violation seen in the client's callback thread
must fail the test that saw it (python-engineio only logs exceptions raised there)."""

from conftest import Mirror


def test_a_violation_in_the_callback_thread_is_recorded_for_the_test():
    m = Mirror()
    m.on_event("aircraft:snapshot", {"seq": 1, "aircraft": [{"hex": "abcdef"}], "count": 2,
                                     "timestamp": 0})
    m.on_event("aircraft:update", {"seq": 2, "type": "delta", "added": [], "removed": [],
                                   "updated": [{"hex": "123456", "gs": 1}], "timestamp": 0})
    assert len(m.failures) == 2, m.failures
    assert "snapshot count" in m.failures[0]
    assert "123456" in m.failures[1]
    # Handled here: the autouse fixture would otherwise (rightly) fail this test.
    m.failures.clear()
