"""Keep freed memory in the process for PyTorch CPU inference (glibc).

glibc's ``malloc`` serves a block above its *mmap threshold* with a fresh
``mmap`` and gives it back to the kernel on ``free``; it also trims the top
of the heap back to the kernel past its *trim threshold*. Both thresholds
move by themselves with the history of the process. PyTorch allocates every
activation with ``malloc``, so on a small model (many activations of 0.1 to
1 MiB) a forward pass can take its memory from the kernel anew each time:
every page of it is a page fault (zeroed by the kernel) before the first
store. LEViTPose-T's deployed forward at 256x256 took about 3000 minor page
faults in a process of its own, and none after a larger model had run in the
same process. Fixing both thresholds with ``mallopt`` keeps freed blocks for
reuse, so the count is 0 whatever ran before
(``tests/test_deploy/test_allocator.py`` counts them).

This is what Intel's PyTorch CPU tuning guide gets by preloading jemalloc or
TCMalloc, done with glibc's own switch. It is process-wide; the memory the
process keeps is what its largest forward needed.
"""
import ctypes
import ctypes.util
import sys

__all__ = ['keep_freed_memory']

#: ``mallopt`` parameters (``<malloc.h>``).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: glibc's upper bound on the mmap threshold on 64-bit systems (32 MiB):
#: blocks up to this size come from the heap.
MMAP_THRESHOLD = 32 << 20
#: Freed memory kept at the top of the heap before it goes back.
TRIM_THRESHOLD = 256 << 20

_applied = None


def keep_freed_memory() -> bool:
    """Fix glibc's mmap and trim thresholds (:data:`MMAP_THRESHOLD`,
    :data:`TRIM_THRESHOLD`) for this process, once.

    Returns:
        bool: True where they are set (Linux with glibc), False elsewhere
        (another C library or operating system: nothing is changed).
    """
    global _applied
    if _applied is None:
        _applied = _mallopt(((_M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                             (_M_TRIM_THRESHOLD, TRIM_THRESHOLD)))
    return _applied


def _mallopt(settings) -> bool:
    """``mallopt(param, value)`` for each pair; False without glibc."""
    if not sys.platform.startswith('linux'):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # glibc only (musl has no mallopt)
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in settings)
