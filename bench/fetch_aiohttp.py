# The tutorial's §11.1 program (aiohttp, TCPConnector(limit=20)), reading its URLs from a file
# instead of the three example.* hosts, so it can fetch from nginx on loopback.
# Usage: /usr/bin/python3 fetch_aiohttp.py urls.txt
import asyncio
import sys

import aiohttp


async def fetch_url(session, url):
    async with session.get(url) as response:
        return await response.text()


async def main():
    urls = [line.strip() for line in open(sys.argv[1]) if line.strip()]

    connector = aiohttp.TCPConnector(limit=20)  # 限制并发连接数
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [fetch_url(session, url) for url in urls]
        responses = await asyncio.gather(*tasks)

    print(f"Fetched {len(responses)} URLs")


asyncio.run(main())
