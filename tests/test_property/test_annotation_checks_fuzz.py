"""The annotation checks never crash (Hypothesis): any JSON value, or a real
annotation file with a key removed or a value replaced by junk, gives a list
of problems, never a KeyError/TypeError from inside the checker."""
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from levitpose.datasets import check_coco_annotations, check_mpii_annotations
from levitpose.datasets.annotation_checks import (COCO_ANNOTATION_KEYS,
                                                  MPII_KEYS)

SHARED = (
    Path(__file__).resolve().parents[2] / '..' / 'shared' / 'data' / 'mmpose' /
    'tests' / 'data')
COCO = json.loads((SHARED / 'coco' / 'test_coco.json').read_text())
MPII = json.loads((SHARED / 'mpii' / 'test_mpii.json').read_text())
SETTINGS = settings(max_examples=80, deadline=1000)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=12), inner, max_size=4),
    max_leaves=12)


@SETTINGS
@given(json_values)
def test_any_json_gives_a_list_of_problems(data):
    for check, k in ((check_coco_annotations, 17), (check_mpii_annotations,
                                                    16)):
        problems = check(data, k)
        assert isinstance(problems, list)
        assert all(isinstance(p, str) for p in problems)


@SETTINGS
@given(
    index=st.integers(0,
                      len(COCO['annotations']) - 1),
    key=st.sampled_from(COCO_ANNOTATION_KEYS),
    junk=json_values,
    drop=st.booleans())
def test_damaged_coco_annotation_is_reported(index, key, junk, drop):
    data = json.loads(json.dumps(COCO))
    ann = data['annotations'][index]
    where = f'annotation #{index}' if key == 'id' else f'annotation id ' \
        f'{ann["id"]}'
    if drop:
        del ann[key]
    else:
        ann[key] = junk
    problems = check_coco_annotations(data, 17)
    assert isinstance(problems, list)
    if drop:
        assert f"{where}: missing key(s) ['{key}']" in problems


@SETTINGS
@given(
    index=st.integers(0,
                      len(MPII) - 1),
    key=st.sampled_from(MPII_KEYS),
    junk=json_values)
def test_junk_mpii_value_never_crashes(index, key, junk):
    data = json.loads(json.dumps(MPII))
    data[index][key] = junk
    assert isinstance(check_mpii_annotations(data, 16), list)


def test_real_files_have_no_problems():
    assert check_coco_annotations(COCO, 17) == []
    assert check_mpii_annotations(MPII, 16) == []
