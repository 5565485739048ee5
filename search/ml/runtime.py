"""Where and how models run: device, dtype and threads, chosen once per process."""

import functools
import os
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
