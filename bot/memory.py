"""Keep the process's memory close to what it uses (glibc's allocator, Linux only).

glibc raises its mmap threshold each time a large block is freed, after which large
short-lived buffers (a getUpdates batch, a JSON body, a query result) are carved from the heap
instead, where the gaps between long-lived objects keep them from ever being returned: under
1 000 people reporting at once the heap grew by about 50 MiB and stayed there
(`make bench`, scenario (b)). A fixed threshold keeps large buffers in their own mappings,
which go back to the system as soon as they are freed.
"""

from __future__ import annotations

import ctypes
import logging
import platform

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, now kept


def keep_large_buffers_mapped() -> bool:
    """Fix glibc's mmap threshold; False where there is no glibc (musl, macOS)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):  # pragma: no cover - a libc without mallopt
        log.debug("mallopt is not available")
        return False
