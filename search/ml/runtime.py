"""Where and how models run: device, dtype and threads, chosen once per process."""

import contextlib
import fcntl
import functools
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import torch
import transformers
from django.conf import settings


def cpu_share() -> int:
    """CPUs this process may use: its affinity, capped by a cgroup quota (containers)."""
    cpus = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cpus


@functools.cache
def configure() -> None:
    """Once per process, before the first model runs."""
    # Random and fine-tuned weights alike produce denormal floats, which are up to 10x slower on CPU.
    torch.set_flush_denormal(True)
    torch.set_num_threads(settings.ML_THREADS or cpu_share())
    # A progress bar per model load is noise in a worker's log.
    transformers.utils.logging.disable_progress_bar()


def device() -> torch.device:
    if settings.ML_DEVICE != "auto":
        return torch.device(settings.ML_DEVICE)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def dtype(on: torch.device) -> torch.dtype:
    """bf16 where the hardware runs it natively (recent GPUs; CPUs with AVX-512 BF16 or AMX), else fp32."""
    if settings.ML_DTYPE == "fp32":
        return torch.float32
    if settings.ML_DTYPE == "bf16":
        return torch.bfloat16
    if on.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    if on.type == "cpu" and _cpu_has_native_bf16():
        return torch.bfloat16
    return torch.float32


@functools.cache
def _cpu_has_native_bf16() -> bool:
    # oneDNN also "supports" bf16 on plain AVX-512 by emulation, slower than fp32: ask for the real units.
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


_query_cores_taken = threading.Lock()  # the lease within this process (an flock is shared by its threads)
_query_cores_file = None  # this process's handle on the machine-wide lease (DATA_DIR/query-cores.lock)


@contextlib.contextmanager
def query_threads(*, parallel: bool = True) -> Iterator[int]:
    """Threads for encoding one search query: every core when no other query is being encoded, else one.

    Alone, the image-text model's text tower runs about 1.4x faster on two cores than on one (the
    small text embedder runs as fast on one: parallel=False gives it one thread and leaves the
    lease to others). Under load, several requests encode at once, and each with a pool of threads
    would make the cores spin and wait on each other: one thread each shares them best
    (bench/load.py). Which case this is, is
    decided by a lease that every process of the machine asks for without waiting (a lock within
    the process, then an flock on a file in DATA_DIR): the holder gets every core, the others one
    each. The count is the calling thread's own (OpenMP's is per thread), and is put back after,
    so a worker's indexing keeps its threads.
    """
    cores = settings.ML_THREADS or cpu_share()
    previous = torch.get_num_threads()
    leased = parallel and cores > 1 and _lease()
    torch.set_num_threads(cores if leased else 1)
    try:
        yield cores if leased else 1
    finally:
        torch.set_num_threads(previous)
        if leased:
            fcntl.flock(_query_cores_file, fcntl.LOCK_UN)
            _query_cores_taken.release()


def _lease() -> bool:
    global _query_cores_file
    if not _query_cores_taken.acquire(blocking=False):
        return False
    try:
        if _query_cores_file is None:
            _query_cores_file = open(Path(settings.DATA_DIR) / "query-cores.lock", "a")  # noqa: SIM115 (kept open)
        fcntl.flock(_query_cores_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:  # held by another process; or a read-only data folder: one core, as under load
        _query_cores_taken.release()
        return False
