"""The ``*_async`` twins of the blocking calls, for ``asyncio`` programs.

Each runs the blocking call on a worker thread (:func:`asyncio.to_thread`): the event loop
keeps running while a refresh or a sign-in wait is under way, and the requests are the
same ones the blocking call makes (no second HTTP stack). A cancelled task cancels a
sign-in wait through its :class:`CancelToken`; a refresh, which takes a bounded time, runs
to its end (its new tokens are saved) even when the awaiting task is cancelled.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on a worker thread."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def run_cancellable(
    fn: Callable[..., T], *args: Any, cancel: Optional[Any] = None, **kwargs: Any
) -> T:
    """``fn(*args, cancel=token, **kwargs)`` on a worker thread; cancelling the awaiting
    task cancels ``token`` (``cancel``, or a new :class:`CancelToken`) and waits for the
    call to stop."""
    from ._native import CancelToken

    token = cancel if cancel is not None else CancelToken()
    task = asyncio.ensure_future(asyncio.to_thread(fn, *args, cancel=token, **kwargs))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        token.cancel()
        try:
            await task
        except BaseException:  # the call's own Cancelled (or result): the task is cancelled
            pass
        raise
