"""nats-server processes on loopback: a throwaway JetStream node or cluster.

For development, the demo, the scale bench and the tests (the Debian package
`nats-server` provides the binary). Each node keeps its JetStream files in a folder of
its own and is stopped by its process id. `cluster_config` is also the template
docs/scale-out.md shows for a production cluster.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import nats

from alpr.broker.connection import quiet_error

BINARY = "nats-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cluster_config(name: str, *, port: int, store: Path, cluster_port: int | None = None,
                   routes: list[int] | None = None, cluster_name: str = "alpr") -> str:
    """One node's configuration; with `cluster_port`, a member of a JetStream cluster."""
    lines = [
        f"server_name: {name}",
        f"listen: 127.0.0.1:{port}",
        "max_payload: 4MB  # a read with its plate crop and overview image",
        "jetstream {",
        f'  store_dir: "{store}"',
        "  max_memory_store: 64MB",
        "  max_file_store: 2GB",
        "}",
    ]
    if cluster_port is not None:
        lines += [
            "cluster {",
            f"  name: {cluster_name}",
            f"  listen: 127.0.0.1:{cluster_port}",
            "  routes: [" + ", ".join(f"nats-route://127.0.0.1:{p}" for p in routes or []) + "]",
            "}",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class Node:
    name: str
    port: int
    cluster_port: int | None
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


@dataclass
class LocalCluster:
    """`size` nodes (1: a single JetStream server, 3: a cluster) under `folder`."""

    folder: Path
    size: int = 1
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        if shutil.which(BINARY) is None:
            raise FileNotFoundError(f"{BINARY} not found: apt-get install nats-server")
        clustered = self.size > 1
        for index in range(self.size):
            self.nodes.append(Node(name=f"n{index + 1}", port=free_port(),
                                   cluster_port=free_port() if clustered else None,
                                   folder=self.folder / f"n{index + 1}"))

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self, timeout: float = 20.0) -> LocalCluster:
        for index in range(self.size):
            self.start_node(index)
        self.wait_ready(timeout)
        return self

    def start_node(self, index: int) -> None:
        node = self.nodes[index]
        node.folder.mkdir(parents=True, exist_ok=True)
        routes = [other.cluster_port for other in self.nodes
                  if other is not node and other.cluster_port is not None]
        config = node.folder / "nats.conf"
        config.write_text(cluster_config(node.name, port=node.port, store=node.folder / "js",
                                         cluster_port=node.cluster_port, routes=routes))
        log = (node.folder / "nats.log").open("ab")
        # Our own binary and a config file we just wrote: no untrusted input.
        node.process = subprocess.Popen(  # noqa: S603
            [BINARY, "-c", str(config)], stdout=log, stderr=log)

    def kill_node(self, index: int) -> None:
        """SIGKILL, as a crash would."""
        process = self.nodes[index].process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(10)

    def stop(self) -> None:
        for index in range(self.size):
            self.kill_node(index)

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Until JetStream answers (in a cluster: once a meta leader is elected)."""
        asyncio.run(wait_for_jetstream(self.url, timeout))


async def wait_for_jetstream(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            client = await nats.connect(url.split(","), connect_timeout=1,
                                        max_reconnect_attempts=0, error_cb=quiet_error)
            try:
                await client.jetstream().account_info()
                return
            finally:
                await client.close()
        except Exception as error:  # not up yet, or no JetStream leader yet
            last = error
            await asyncio.sleep(0.2)
    raise TimeoutError(f"JetStream at {url} not ready after {timeout} s: {last}")
