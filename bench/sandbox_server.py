"""The sandbox Katana under uvicorn, in its own process (so the benchmark's client and the
fake Katana never compete for one interpreter lock)."""

import sys

import uvicorn

from katana_sn_mcp.sandbox import Sandbox, SandboxConfig

if __name__ == "__main__":
    port = int(sys.argv[1])
    uvicorn.run(Sandbox(SandboxConfig(rate_limit=10**9)), host="127.0.0.1", port=port,
                log_level="error", lifespan="off")
