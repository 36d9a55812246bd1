"""Stands in for aioconsole, which Debian does not package: ainput() reads a line of stdin
without blocking the event loop, as aioconsole's does. At EOF it waits forever, as a console
with nothing more to say would."""
import asyncio
import sys


async def ainput(prompt=""):
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:
        await asyncio.Event().wait()
    return line.rstrip("\n")
