"""What an import file may hold: a list of objects, one object, or an OCPI envelope."""

from __future__ import annotations

import pytest

from laddhub.ocpi.status import InvalidParameters
from laddhub.services import cpo_files


def test_files_hold_a_list_one_object_or_an_envelope() -> None:
    assert cpo_files.read_objects('{"id": "A"}', "tariffs") == [{"id": "A"}]
    assert cpo_files.read_objects('[{"id": "A"}, {"id": "B"}]', "tariffs") == [{"id": "A"}, {"id": "B"}]
    envelope = '{"data": [{"id": "A"}], "status_code": 1000, "timestamp": "2026-11-24T12:00:00Z"}'
    assert cpo_files.read_objects(envelope, "tariffs") == [{"id": "A"}]
    with pytest.raises(InvalidParameters, match="line 1"):
        cpo_files.read_objects("[{", "tariffs")
    with pytest.raises(InvalidParameters, match="expected objects"):
        cpo_files.read_objects("42", "tariffs")
