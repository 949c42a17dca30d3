"""Memory of the web process as deployed (the Procfile's `web` command) while it takes photos:
huge-pixel PNGs cost nothing (refused by their headers), and clients posting the largest
photos accepted at the same time raise the process by less than two decoded photos, not one
per photo or per request. The pod's limit is 512 Mi; a web process must stay under 300 MB."""

import io
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from PIL import Image

from bench.common import process_tree
from tests.builders import entry_token, wage_arrears_form
from tests.ops_processes import (
    env_for_test_database,
    free_port,
    start_web_server,
    stop,
    wait_until_serving,
)

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

MB = 2**20
PROCESS_LIMIT = 300 * MB


def _png(mode: str, size: tuple[int, int]) -> bytes:
    """A PNG of one colour: a few KB on the wire whatever its pixel count."""
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return buffer.getvalue()


def _peak_rss(pid: int) -> int:
    """The largest resident size any process of the server has reached (VmHWM), in bytes."""
    peaks = []
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:  # a worker that ended between the listing and the read
            continue
        kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
        peaks.append(int(kb) * 1024)
    return max(peaks)


@pytest.fixture
def web_server():
    """The Procfile's web command on a port of our own, until it answers."""
    port = free_port()
    env = env_for_test_database(RATELIMIT_ENABLE="0", LOG_LEVEL="WARNING")
    server = start_web_server(
        port, env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until_serving(port, server)
        assert server.poll() is None, server.stderr.read()
        yield server, f"http://127.0.0.1:{port}"
    finally:
        stop(server)


def test_photo_uploads_keep_the_web_process_bounded(demo, web_server):
    server, base = web_server
    url = f"{base}/api/v1/entry-points/{entry_token(demo.pk, '欠薪')}/cases/"

    def post(*photos: tuple[str, bytes]) -> requests.Response:
        files = [("photos", (name, content, "image/png")) for name, content in photos]
        return requests.post(url, data=wage_arrears_form(), files=files, timeout=120)

    # Warm up: every module the path needs is imported and every cache filled.
    assert post(("small.png", _png("RGB", (640, 480)))).status_code == 201
    warm = _peak_rss(server.pid)

    bomb = _png("1", (7000, 7000))  # 49 megapixels in a few KB
    assert len(bomb) < 10_000
    refused = post(*((f"bomb{i}.png", bomb) for i in range(3)))
    assert refused.status_code == 400, refused.text
    assert all("像素过大" in m for m in refused.json()["errors"]["photos"]), refused.json()
    assert _peak_rss(server.pid) - warm < 20 * MB

    # Under load: four clients at once, each with three photos of the largest size accepted
    # (about 20 megapixels each, 60 for the submission).
    largest = _png("RGB", (5000, 3990))
    with ThreadPoolExecutor(4) as pool:
        responses = list(
            pool.map(lambda i: post(*((f"{i}-{n}.png", largest) for n in range(3))), range(4))
        )
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    peak = _peak_rss(server.pid)
    one_decoded_photo = 5000 * 3990 * 4  # Pillow keeps RGB in 4 bytes a pixel
    assert peak < PROCESS_LIMIT, f"{peak / MB:.0f} MB"
    # Never two full-size photos at once, whatever the number of clients and photos.
    assert peak - warm < 2 * one_decoded_photo, f"{warm / MB:.0f} → {peak / MB:.0f} MB"
