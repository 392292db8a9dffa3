"""katana-sn-mcp: an MCP server for Katana MRP serial numbers that tells the truth."""

__version__ = "0.1.0"
