"""levitpose.apis.check_device: valid names pass, bad ones are refused."""
import pytest
import torch

from levitpose.apis.device import check_device
from levitpose.utils import InvalidInputError


def test_cpu_is_accepted():
    assert check_device('cpu') == 'cpu'


@pytest.mark.parametrize('device', ['banana', 'cuda:x', ''])
def test_unknown_device_names_the_value(device):
    with pytest.raises(InvalidInputError, match='cpu, cuda, cuda:N'):
        check_device(device)


def test_non_torch_device_type_is_refused():
    with pytest.raises(InvalidInputError, match="'meta'"):
        check_device('meta')


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs no CUDA')
def test_cuda_without_cuda_is_refused():
    with pytest.raises(InvalidInputError, match='CUDA is not available'):
        check_device('cuda:0')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_index_out_of_range_is_refused():
    with pytest.raises(InvalidInputError, match='does not exist'):
        check_device(f'cuda:{torch.cuda.device_count()}')
