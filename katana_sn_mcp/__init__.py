"""katana-sn-mcp: an MCP server for Katana MRP serial numbers that tells the truth."""

import sys

__version__ = "0.1.0"

# httpx's package imports its command-line entry point (`httpx._main`) whenever rich, click
# and pygments happen to be installed (test tools bring them): ~40 ms and several MiB on
# every start, for a CLI this server never runs. Marked absent before anything imports
# httpx, `import httpx` falls back to its own stub `main` (httpx/__init__.py's ImportError
# branch); every other part of httpx is untouched.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
