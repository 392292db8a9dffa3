"""The floor for cold start and memory: a bare MCPServer with one echo tool."""

from mcp.server import MCPServer

mcp = MCPServer("floor", version="0.0.0")


@mcp.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    return text


if __name__ == "__main__":
    mcp.run()
