"""The one thread that runs the models of a process that serves requests (the web process).

torch runs its CPU ops on an OpenMP pool of threads per calling thread (libgomp): a model called
from several threads (gunicorn's request threads) gets several pools, whose idle threads spin on
the CPUs the busy pool needs. Measured on 2 cores: the query encoders ran twice as slow once a
second thread had used them. So every model call of the web process goes through here, one at a
time, in the order asked: one thread, one pool. Nothing here imports torch.
"""

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="models")


def submit(function: Callable[..., T], *args) -> Future[T]:
    """Run function(*args) on the models' thread; the caller goes on (search.timing's listener goes along)."""
    return _thread.submit(contextvars.copy_context().run, function, *args)


def run(function: Callable[..., T], *args) -> T:
    """Run function(*args) on the models' thread and wait for its result (or its exception)."""
    return submit(function, *args).result()
